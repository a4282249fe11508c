"""The loyalty role uses its own schema only; other service roles cannot reach into it, and the
pipeline writes exactly its marts."""

from __future__ import annotations

import asyncpg
import pytest

from shared.database import asyncpg_dsn
from shared.owners import Owner
from tests.conftest import TestDatabase

FOREIGN_TABLES = (
    "admin.customers",
    "admin.mart_daily_revenue",
    "reminders.reminder_preferences",
    "reminders.notification_outbox",
    "transparency.mart_trust_scores",
    "silver.orders",
    "silver.customers",
    "ops.bronze_files",
)
LOYALTY_TABLES = ("loyalty.mart_customer_summary", "loyalty.mart_loyalty_recommendations")


async def _connect(database: TestDatabase, owner: Owner) -> asyncpg.Connection:
    return await asyncpg.connect(asyncpg_dsn(database.role_url(owner)))


@pytest.mark.parametrize("table", FOREIGN_TABLES)
async def test_the_loyalty_role_cannot_read_other_schemas_tables(
    database: TestDatabase, table: str
) -> None:
    connection = await _connect(database, Owner.LOYALTY)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.fetch(f"SELECT * FROM {table} LIMIT 1")
    finally:
        await connection.close()


@pytest.mark.parametrize(
    "schema", ["admin", "reminders", "transparency", "silver", "ops", "public"]
)
async def test_the_loyalty_role_cannot_create_in_other_schemas(
    database: TestDatabase, schema: str
) -> None:
    connection = await _connect(database, Owner.LOYALTY)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute(f"CREATE TABLE {schema}.intruder (id int)")
    finally:
        await connection.close()


@pytest.mark.parametrize("owner", [Owner.ADMIN, Owner.TRANSPARENCY, Owner.REMINDERS])
async def test_other_service_roles_cannot_read_the_loyalty_tables(
    database: TestDatabase, owner: Owner
) -> None:
    connection = await _connect(database, owner)
    try:
        for table in LOYALTY_TABLES:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.fetch(f"SELECT * FROM {table} LIMIT 1")
    finally:
        await connection.close()


async def test_the_loyalty_role_owns_its_tables_and_reads_them(database: TestDatabase) -> None:
    owners = await database.rows(
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'loyalty'"
        " ORDER BY tablename"
    )
    connection = await _connect(database, Owner.LOYALTY)
    try:
        counts = [await connection.fetchval(f"SELECT count(*) FROM {t}") for t in LOYALTY_TABLES]
    finally:
        await connection.close()

    assert owners == [
        ("alembic_version", "ecom_loyalty"),
        ("mart_customer_summary", "ecom_loyalty"),
        ("mart_loyalty_recommendations", "ecom_loyalty"),
    ]
    assert counts == [0, 0]


async def test_the_pipeline_role_may_write_exactly_the_marts(database: TestDatabase) -> None:
    privileges = await database.rows(
        "SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type)"
        " FROM information_schema.role_table_grants"
        " WHERE grantee = 'ecom_flows' AND table_schema = 'loyalty'"
        " GROUP BY table_name ORDER BY table_name"
    )

    assert privileges == [
        (table.split(".")[1], "DELETE,INSERT,SELECT,UPDATE") for table in sorted(LOYALTY_TABLES)
    ]
