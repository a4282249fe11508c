"""The transparency role uses its own schema only; other service roles cannot reach into it, and
the pipeline writes exactly its marts."""

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
    "loyalty.alembic_version",
    "silver.shipments",
    "ops.bronze_files",
)
TRANSPARENCY_TABLES = (
    "transparency.mart_trust_scores",
    "transparency.mart_logistics_sla",
    "transparency.trust_metrics",
)


async def _connect(database: TestDatabase, owner: Owner) -> asyncpg.Connection:
    return await asyncpg.connect(asyncpg_dsn(database.role_url(owner)))


@pytest.mark.parametrize("table", FOREIGN_TABLES)
async def test_the_transparency_role_cannot_read_other_schemas_tables(
    database: TestDatabase, table: str
) -> None:
    connection = await _connect(database, Owner.TRANSPARENCY)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.fetch(f"SELECT * FROM {table} LIMIT 1")
    finally:
        await connection.close()


@pytest.mark.parametrize("schema", ["admin", "reminders", "loyalty", "silver", "ops", "public"])
async def test_the_transparency_role_cannot_create_in_other_schemas(
    database: TestDatabase, schema: str
) -> None:
    connection = await _connect(database, Owner.TRANSPARENCY)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute(f"CREATE TABLE {schema}.intruder (id int)")
    finally:
        await connection.close()


@pytest.mark.parametrize("owner", [Owner.ADMIN, Owner.LOYALTY, Owner.REMINDERS])
async def test_other_service_roles_cannot_read_the_transparency_tables(
    database: TestDatabase, owner: Owner
) -> None:
    connection = await _connect(database, owner)
    try:
        for table in TRANSPARENCY_TABLES:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.fetch(f"SELECT * FROM {table} LIMIT 1")
    finally:
        await connection.close()


async def test_the_transparency_role_owns_its_tables(database: TestDatabase) -> None:
    owners = await database.rows(
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'transparency'"
        " ORDER BY tablename"
    )

    assert owners == [
        ("alembic_version", "ecom_transparency"),
        ("mart_logistics_sla", "ecom_transparency"),
        ("mart_trust_scores", "ecom_transparency"),
        ("trust_metrics", "ecom_transparency"),
    ]


async def test_the_pipeline_role_may_write_exactly_the_marts(database: TestDatabase) -> None:
    privileges = await database.rows(
        "SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type)"
        " FROM information_schema.role_table_grants"
        " WHERE grantee = 'ecom_flows' AND table_schema = 'transparency'"
        " GROUP BY table_name ORDER BY table_name"
    )

    assert privileges == [
        (table.split(".")[1], "DELETE,INSERT,SELECT,UPDATE")
        for table in sorted(TRANSPARENCY_TABLES)
    ]
