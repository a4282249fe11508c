"""The reminders role uses its own schema only; other roles cannot reach into it."""

from __future__ import annotations

import asyncpg
import pytest

from shared.database import asyncpg_dsn
from shared.owners import Owner
from tests.conftest import TestDatabase

FOREIGN_TABLES = ("admin.customers", "admin.mart_daily_revenue", "ops.bronze_files")
REMINDERS_TABLES = (
    "reminders.reminder_preferences",
    "reminders.csr_metadata",
    "reminders.notification_outbox",
    "reminders.analytics_event_log",
)


@pytest.mark.parametrize("table", FOREIGN_TABLES)
async def test_the_reminders_role_cannot_read_other_schemas_tables(
    database: TestDatabase, table: str
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.REMINDERS)))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.fetch(f"SELECT * FROM {table} LIMIT 1")
    finally:
        await connection.close()


@pytest.mark.parametrize("owner", [Owner.ADMIN, Owner.LOYALTY, Owner.TRANSPARENCY])
async def test_other_service_roles_cannot_read_the_reminders_tables(
    database: TestDatabase, owner: Owner
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(owner)))
    try:
        for table in REMINDERS_TABLES:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.fetch(f"SELECT * FROM {table} LIMIT 1")
    finally:
        await connection.close()


async def test_the_reminders_role_owns_its_tables(database: TestDatabase) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.REMINDERS)))
    try:
        owners = await connection.fetch(
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'reminders'"
        )
    finally:
        await connection.close()
    assert {row["tablename"] for row in owners} >= {t.split(".")[1] for t in REMINDERS_TABLES}
    assert {row["tableowner"] for row in owners} == {"ecom_reminders"}
