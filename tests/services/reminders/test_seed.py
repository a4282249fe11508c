"""`ecom db seed`: every reminders table gets demo rows, and running it again changes nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
from httpx import AsyncClient

from deploy.seed import SEEDED_CUSTOMERS, SEGMENTS, SeedCounts, seed_reminders
from shared.identity import Role
from shared.owners import Owner
from shared.vocabularies.loyalty import SEGMENTS as LOYALTY_SEGMENTS
from tests.conftest import TEST_PASSWORDS, TestDatabase
from tests.services.reminders.callers import CONFIGURATIONS, CSR, OUTBOX, as_customer, as_role

TABLES = {
    "csr_metadata": "csr_id",
    "reminder_preferences": "preference_id",
    "notification_outbox": "customer_id, product_id, cadence_window",
    "analytics_event_log": "occurred_at, event_type, customer_id",
}


async def _snapshot(db: asyncpg.Connection) -> dict[str, list[Any]]:
    """Every seeded table's rows, without the columns the database stamps per run."""
    snapshot = {}
    for table, order in TABLES.items():
        rows = await db.fetch(f"SELECT * FROM reminders.{table} ORDER BY {order}")
        snapshot[table] = [
            {k: v for k, v in row.items() if k not in {"id", "created_at", "updated_at"}}
            for row in rows
        ]
    return snapshot


async def test_seed_fills_every_table_and_a_second_run_changes_nothing(
    database: TestDatabase, db: asyncpg.Connection
) -> None:
    url = database.role_url(Owner.REMINDERS)

    first = await seed_reminders(url)
    after_first = await _snapshot(db)
    ids_after_first = await db.fetch("SELECT id FROM reminders.analytics_event_log ORDER BY id")
    second = await seed_reminders(url)

    assert first.csr_metadata == 12
    assert SEEDED_CUSTOMERS + len(SEGMENTS) < first.reminder_preferences < 3 * SEEDED_CUSTOMERS
    assert first.notification_outbox >= 24
    assert first.analytics_event_log >= 24
    assert second == SeedCounts(0, 0, 0, 0)
    assert await _snapshot(db) == after_first
    assert await db.fetch("SELECT id FROM reminders.analytics_event_log ORDER BY id") == (
        ids_after_first
    )
    statuses = {row["status"] for row in after_first["notification_outbox"]}
    assert {"pending", "sent"} <= statuses
    scopes = {row["scope"] for row in after_first["reminder_preferences"]}
    assert scopes == {"customer", "segment"}
    seeded_segments = {
        row["segment"] for row in after_first["reminder_preferences"] if row["scope"] == "segment"
    }
    # The RFM segments the loyalty marts assign, so the segment-preference path applies.
    assert seeded_segments == set(LOYALTY_SEGMENTS)


async def test_seed_is_the_same_on_every_database_and_keeps_later_edits(
    database: TestDatabase, db: asyncpg.Connection
) -> None:
    url = database.role_url(Owner.REMINDERS)
    await seed_reminders(url)
    seeded = await _snapshot(db)
    await db.execute("UPDATE reminders.csr_metadata SET team = 'moved' WHERE csr_id = 'CSR001'")
    await db.execute("DELETE FROM reminders.reminder_preferences")

    await seed_reminders(url)
    again = await _snapshot(db)

    assert again["reminder_preferences"] == seeded["reminder_preferences"]
    assert (
        await db.fetchval("SELECT team FROM reminders.csr_metadata WHERE csr_id = 'CSR001'")
        == "moved"
    )


async def test_seeded_rows_fill_every_screen(
    database: TestDatabase, reminders_client: AsyncClient
) -> None:
    await seed_reminders(database.role_url(Owner.REMINDERS))

    staff = as_role(Role.VIEWER)
    configurations = await reminders_client.get(CONFIGURATIONS, headers=staff)
    own = await reminders_client.get(CONFIGURATIONS, headers=as_customer("C0000001"))
    outbox = await reminders_client.get(OUTBOX, params={"status": "pending"}, headers=staff)
    csrs = await reminders_client.get(CSR, headers=staff)

    assert configurations.json()["count"] > SEEDED_CUSTOMERS
    assert own.json()["count"] >= 1
    assert {row["customer_id"] for row in own.json()["data"]} == {"C0000001"}
    assert outbox.json()["count"] >= 1
    assert csrs.json()["data"][0]["csr_id"] == "CSR001"


async def test_ecom_db_seed_runs_as_the_reminders_role_and_twice_in_a_row(
    database: TestDatabase, db: asyncpg.Connection, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOM_")}
    env.update(
        ECOM_DATA_DIR=str(tmp_path),
        ECOM_DATABASE_URL=database.url,  # a superuser URL naming the platform database
        ECOM_DB_PASSWORD_REMINDERS=TEST_PASSWORDS[Owner.REMINDERS],
        ECOM_LOG_LEVEL="WARNING",
    )
    command = [sys.executable, "-m", "deploy.cli", "db", "seed"]

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    first = await asyncio.to_thread(run)
    second = await asyncio.to_thread(run)

    assert first.returncode == 0, first.stderr
    assert "csr_metadata +12" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "csr_metadata +0, reminder_preferences +0" in second.stdout
    assert await db.fetchval("SELECT count(*) FROM reminders.csr_metadata") == 12
