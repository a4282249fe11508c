"""A data pipeline whose deployment stops starting runs is reported, with what waits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from flows.settings import FlowSettings
from flows.stall import find_pipeline_stall, missed_runs
from shared.database import asyncpg_dsn
from shared.objectstore import ObjectStore
from tests.conftest import TestDatabase
from tests.flows.orders_csv import land_orders

NINE = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
EVERY_5_MINUTES = "*/5 * * * *"


@pytest.mark.parametrize(
    ("now", "missed"),
    [
        (NINE + timedelta(minutes=4), 0),
        (NINE + timedelta(minutes=5, seconds=59), 0),  # 09:05 may still be starting
        (NINE + timedelta(minutes=6, seconds=1), 1),
        (NINE + timedelta(minutes=11, seconds=1), 2),
        (NINE + timedelta(hours=2), 23),
    ],
)
def test_scheduled_times_count_as_missed_after_a_grace_minute(now: datetime, missed: int) -> None:
    assert missed_runs(EVERY_5_MINUTES, NINE, now) == missed


async def test_missed_runs_are_reported_with_the_waiting_files_until_a_run_is_recorded(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    settings = flow_settings.model_copy(update={"data_pipeline_schedule": EVERY_5_MINUTES})
    dsn = asyncpg_dsn(database.url)
    now = datetime.now(UTC)
    land_orders(lake, "first", 2)
    land_orders(lake, "second", 3, prefix="p")

    just_started = await find_pipeline_stall(settings, dsn, now - timedelta(minutes=3), now)
    stalled = await find_pipeline_stall(settings, dsn, now - timedelta(minutes=20), now)
    await database.fetch(
        "INSERT INTO ops.pipeline_runs (run_id, kind, started_at) VALUES ($1, 'incremental', $2)",
        uuid.uuid4(),
        now - timedelta(minutes=2),
    )
    running_again = await find_pipeline_stall(settings, dsn, now - timedelta(minutes=20), now)

    assert just_started is None, "no verdict before two scheduled runs could have happened"
    assert stalled is not None
    assert stalled.last_run_at is None
    assert stalled.missed_runs >= 3
    assert stalled.pending_files == 2
    assert "data_pipeline has not run at all" in stalled.describe()
    assert "2 file(s) wait in landing/" in stalled.describe()
    assert running_again is None
