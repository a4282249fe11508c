"""`ecom db init`: database, schemas, one least-privilege role per owner, then migrations.

Idempotent: every statement checks before it creates, and an advisory lock keeps two concurrent
inits from racing each other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

import asyncpg

from shared.analyst_access import ANALYST_ROLE, grant_analyst_access
from shared.database import asyncpg_dsn, with_database, with_login
from shared.migrations import upgrade_to_head
from shared.owners import OWNERSHIP, PIPELINE_ROLE, Owner
from shared.role_passwords import mismatch_message, password_matches

logger = logging.getLogger(__name__)

INIT_LOCK_KEY = 0x65636F6D  # "ecom"


async def _ensure_database(maintenance: asyncpg.Connection, database: str) -> None:
    exists = await maintenance.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
    if not exists:
        logger.info("creating database %s", database)
        await maintenance.execute(
            await maintenance.fetchval("SELECT format('CREATE DATABASE %I', $1::text)", database)
        )


class BootstrapRefusedError(RuntimeError):
    """`ecom db init` will not touch this database or these roles; the message says what to do."""


async def _password_in_use(
    maintenance: asyncpg.Connection, superuser_url: str, role: str, password: str, database: str
) -> bool:
    """Whether existing `role` has `password`: its stored verifier, else a trial login."""
    try:
        verifier = await maintenance.fetchval(
            "SELECT rolpassword FROM pg_authid WHERE rolname = $1", role
        )
    except asyncpg.InsufficientPrivilegeError:  # managed servers hide pg_authid
        try:
            trial = await asyncpg.connect(
                asyncpg_dsn(with_login(superuser_url, role, password, database))
            )
        except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError):
            return False
        await trial.close()
        return True
    return password_matches(verifier, role, password)


async def _ensure_roles(
    maintenance: asyncpg.Connection,
    superuser_url: str,
    database: str,
    passwords: Mapping[Owner, str],
    reset_passwords: bool,
) -> None:
    """Create missing roles; existing ones keep their passwords (others refused) unless reset."""
    existing = {
        owner
        for owner, ownership in OWNERSHIP.items()
        if await maintenance.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", ownership.role)
    }
    if not reset_passwords:
        mismatched = [
            OWNERSHIP[owner].role
            for owner in sorted(existing)
            if not await _password_in_use(
                maintenance, superuser_url, OWNERSHIP[owner].role, passwords[owner], database
            )
        ]
        if mismatched:
            raise BootstrapRefusedError(mismatch_message(mismatched))
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"
    for owner, ownership in OWNERSHIP.items():
        if owner in existing and not reset_passwords:
            statement = await maintenance.fetchval(
                f"SELECT format('ALTER ROLE %I {attributes}', $1::text)", ownership.role
            )
        else:
            verb = "ALTER" if owner in existing else "CREATE"
            statement = await maintenance.fetchval(
                f"SELECT format('{verb} ROLE %I {attributes} PASSWORD %L', $1::text, $2::text)",
                ownership.role,
                passwords[owner],
            )
        await maintenance.execute(statement)


async def _ensure_analyst_role(
    maintenance: asyncpg.Connection,
    superuser_url: str,
    database: str,
    password: str,
    reset_password: bool,
) -> None:
    """The read-only analyst login (shared/analyst_access.py): created, or kept like the others."""
    exists = await maintenance.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", ANALYST_ROLE)
    if (
        exists
        and not reset_password
        and not await _password_in_use(maintenance, superuser_url, ANALYST_ROLE, password, database)
    ):
        raise BootstrapRefusedError(mismatch_message([ANALYST_ROLE]))
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS"
    args: tuple[str, ...]
    if exists and not reset_password:
        template, args = f"ALTER ROLE %I {attributes}", (ANALYST_ROLE,)
    else:
        verb = "ALTER" if exists else "CREATE"
        template, args = f"{verb} ROLE %I {attributes} PASSWORD %L", (ANALYST_ROLE, password)
    placeholders = ", ".join(f"${i}::text" for i in range(1, len(args) + 1))
    statement = await maintenance.fetchval(f"SELECT format('{template}', {placeholders})", *args)
    await maintenance.execute(statement)


async def _refuse_foreign_database(target: asyncpg.Connection, database: str) -> None:
    """A database holding tables but no platform version table belongs to someone else."""
    tables = await target.fetchval(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN"
        " ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
    )
    ours = await target.fetchval("SELECT to_regclass('ops.alembic_version')")
    if tables and ours is None:
        raise BootstrapRefusedError(
            f"database '{database}' holds {tables} tables but no ops.alembic_version: it is not"
            " a platform database, so `ecom db init` leaves it alone; name a new database (or"
            " the platform's) in ECOM_DATABASE_URL"
        )


async def ensure_schemas_and_grants(connection: asyncpg.Connection, database: str) -> None:
    quoted_db = await connection.fetchval("SELECT quote_ident($1)", database)
    await connection.execute(f"REVOKE ALL ON DATABASE {quoted_db} FROM PUBLIC")
    await connection.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    for ownership in OWNERSHIP.values():
        await connection.execute(f"GRANT CONNECT ON DATABASE {quoted_db} TO {ownership.role}")
        if ownership.owner is Owner.FLOWS:
            # The pipeline stages each file in temporary tables.
            await connection.execute(f"GRANT TEMPORARY ON DATABASE {quoted_db} TO {ownership.role}")
        for schema in ownership.schemas:
            await connection.execute(
                f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {ownership.role}"
            )
            await connection.execute(f"ALTER SCHEMA {schema} OWNER TO {ownership.role}")
            await connection.execute(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC")
            if ownership.owner is not Owner.FLOWS:
                # The pipeline publishes marts into service schemas; table grants come from
                # each service's own migrations, so it sees only the tables granted there.
                await connection.execute(f"GRANT USAGE ON SCHEMA {schema} TO {PIPELINE_ROLE}")


async def init_database(
    superuser_url: str,
    database: str,
    passwords: Mapping[Owner, str],
    *,
    reset_passwords: bool = False,
    analyst_password: str | None = None,
    analyst_marts: Sequence[str] = (),
) -> None:
    """Create or update the database, roles, schemas and grants, then migrate every owner.

    Existing roles keep their passwords (a different one is refused) unless `reset_passwords`;
    a database with tables but no platform version table is refused. With `analyst_password`,
    the read-only analyst login is made too and granted `analyst_marts` (`schema.table` of each
    gold mart; deploy/database.py passes flows.gold.marts) and its views after the migrations.
    """
    maintenance = await asyncpg.connect(asyncpg_dsn(with_database(superuser_url, "postgres")))
    try:
        await maintenance.execute("SELECT pg_advisory_lock($1)", INIT_LOCK_KEY)
        try:
            await _ensure_database(maintenance, database)
            target = await asyncpg.connect(asyncpg_dsn(with_database(superuser_url, database)))
            try:
                await _refuse_foreign_database(target, database)
                await _ensure_roles(
                    maintenance, superuser_url, database, passwords, reset_passwords
                )
                if analyst_password is not None:
                    await _ensure_analyst_role(
                        maintenance, superuser_url, database, analyst_password, reset_passwords
                    )
                await ensure_schemas_and_grants(target, database)
            finally:
                await target.close()
            for owner, ownership in OWNERSHIP.items():
                url = with_login(superuser_url, ownership.role, passwords[owner], database)
                logger.info("migrating %s", owner.value)
                await asyncio.to_thread(upgrade_to_head, owner, url)
            if analyst_password is not None:
                target = await asyncpg.connect(asyncpg_dsn(with_database(superuser_url, database)))
                try:
                    await grant_analyst_access(target, database, analyst_marts)
                finally:
                    await target.close()
        finally:
            await maintenance.execute("SELECT pg_advisory_unlock($1)", INIT_LOCK_KEY)
    finally:
        await maintenance.close()
