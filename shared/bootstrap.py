"""`ecom db init`: database, schemas, one least-privilege role per owner, then migrations.

Idempotent: every statement checks before it creates, and an advisory lock keeps two concurrent
inits from racing each other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import asyncpg

from shared.database import asyncpg_dsn, with_database, with_login
from shared.migrations import upgrade_to_head
from shared.owners import OWNERSHIP, PIPELINE_ROLE, Owner

logger = logging.getLogger(__name__)

INIT_LOCK_KEY = 0x65636F6D  # "ecom"


async def _ensure_database(maintenance: asyncpg.Connection, database: str) -> None:
    exists = await maintenance.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
    if not exists:
        logger.info("creating database %s", database)
        await maintenance.execute(
            await maintenance.fetchval("SELECT format('CREATE DATABASE %I', $1::text)", database)
        )


async def _ensure_role(connection: asyncpg.Connection, role: str, password: str) -> None:
    exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    verb = "ALTER" if exists else "CREATE"
    statement = await connection.fetchval(
        f"SELECT format('{verb} ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
        "NOINHERIT PASSWORD %L', $1::text, $2::text)",
        role,
        password,
    )
    await connection.execute(statement)


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


async def init_database(superuser_url: str, database: str, passwords: Mapping[Owner, str]) -> None:
    """Create or update the database, roles, schemas and grants, then migrate every owner."""
    maintenance = await asyncpg.connect(asyncpg_dsn(with_database(superuser_url, "postgres")))
    try:
        await maintenance.execute("SELECT pg_advisory_lock($1)", INIT_LOCK_KEY)
        try:
            await _ensure_database(maintenance, database)
            for owner, ownership in OWNERSHIP.items():
                await _ensure_role(maintenance, ownership.role, passwords[owner])
            target = await asyncpg.connect(asyncpg_dsn(with_database(superuser_url, database)))
            try:
                await ensure_schemas_and_grants(target, database)
            finally:
                await target.close()
            for owner, ownership in OWNERSHIP.items():
                url = with_login(superuser_url, ownership.role, passwords[owner], database)
                logger.info("migrating %s", owner.value)
                await asyncio.to_thread(upgrade_to_head, owner, url)
        finally:
            await maintenance.execute("SELECT pg_advisory_unlock($1)", INIT_LOCK_KEY)
    finally:
        await maintenance.close()
