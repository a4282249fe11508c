"""Alembic, once for every owner: each owner keeps its history and version table in its schema."""

from __future__ import annotations

import asyncio

import asyncpg
from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.database import asyncpg_dsn, sqlalchemy_url
from shared.owners import OWNERSHIP, Owner


def alembic_config(owner: Owner, url: str | None = None) -> Config:
    """An in-memory Alembic config for `owner`'s history, connecting with `url`."""
    config = Config()
    config.set_main_option("script_location", OWNERSHIP[owner].migrations)
    config.attributes["owner"] = owner
    if url is not None:
        config.attributes["url"] = url
    return config


def run_env() -> None:
    """Body of every owner's `env.py`: run the pending migrations online as the owner's role."""
    config = context.config
    owner: Owner = config.attributes["owner"]
    url: str = config.attributes["url"]
    schema = OWNERSHIP[owner].version_schema

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=None,
            version_table_schema=schema,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(sqlalchemy_url(url), poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(main())


def upgrade_to_head(owner: Owner, url: str) -> None:
    """Apply `owner`'s pending migrations (blocking; call from a thread inside an event loop)."""
    command.upgrade(alembic_config(owner, url), "head")


def head_revision(owner: Owner) -> str | None:
    """The newest revision of `owner`'s history."""
    return ScriptDirectory.from_config(alembic_config(owner)).get_current_head()


async def current_revision(connection: asyncpg.Connection, owner: Owner) -> str | None:
    """The revision the database is at for `owner`, or None before the first migration."""
    schema = OWNERSHIP[owner].version_schema
    exists = await connection.fetchval("SELECT to_regclass($1)", f"{schema}.alembic_version")
    if exists is None:
        return None
    value = await connection.fetchval(f'SELECT version_num FROM "{schema}".alembic_version')  # nosec B608 # schema name from shared.owners.OWNERSHIP
    return str(value) if value is not None else None


async def is_at_head(url: str, owner: Owner) -> bool:
    """Whether `owner`'s schema is migrated to the newest revision."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await current_revision(connection, owner) == head_revision(owner)
    finally:
        await connection.close()
