"""Real pipeline runs for the pipeline API's tests: one that loaded rows, rejected one and
quarantined a file, and one whose revenue mart broke its data contract."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from flows.gold import GoldBuildError
from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from shared.database import asyncpg_dsn
from shared.objectstore import ObjectStore
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.orders_csv import order_row, render_orders_csv


@dataclass(frozen=True)
class PipelineHistory:
    """The runs and what they left behind."""

    settings: FlowSettings
    loaded_run: uuid.UUID  # loaded orders, rejected one, quarantined a file
    failed_run: uuid.UUID  # its revenue mart broke the contract
    quarantine_id: int
    reject_rule: str


def flow_settings_for(database: TestDatabase, tmp_path: Path) -> FlowSettings:
    """Flow settings on the test's database and a lake under tmp_path; rejects allowed."""
    return FlowSettings(
        _env_file=None,
        data_dir=tmp_path,
        database_url=database.role_url(Owner.FLOWS),
        object_store_url=(tmp_path / "lake").as_uri(),
        max_reject_rate=1.0,
    )


async def make_pipeline_history(database: TestDatabase, tmp_path: Path) -> PipelineHistory:
    """Run the pipeline twice on hand-written files; see `PipelineHistory`."""
    settings = flow_settings_for(database, tmp_path)
    lake = ObjectStore.from_settings(settings)
    lake.write_atomic(
        "landing/orders/o.csv",
        render_orders_csv([order_row("O-1"), order_row("O-2", currency="XXX")]),
    )
    # No header: the file cannot be trusted, so it is quarantined at landing.
    no_header = render_orders_csv([order_row("O-9")]).split(b"\n", 1)[1]
    lake.write_atomic("landing/orders/no-header.csv", no_header)
    loaded = await run_data_pipeline(settings)
    assert len(loaded.quarantined) == 1
    assert loaded.total("rejected") == 1

    # A refund booked as a negative order: the day's net revenue breaks the mart's contract.
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        await connection.execute(
            "UPDATE silver.orders SET total_amount = -50, total_amount_base = -50"
            " WHERE order_id = 'O-1'"
        )
        await connection.execute(
            "INSERT INTO ops.dirty_days (mart, day)"
            " SELECT 'mart_daily_revenue', (order_ts AT TIME ZONE 'UTC')::date"
            " FROM silver.orders WHERE order_id = 'O-1'"
        )
        with pytest.raises(GoldBuildError):
            await run_data_pipeline(settings)
        failed = await connection.fetchval(
            "SELECT run_id FROM ops.pipeline_runs WHERE status = 'failed'"
        )
        rule = await connection.fetchval("SELECT rule FROM silver.rejects")
        quarantine_id = await connection.fetchval("SELECT quarantine_id FROM ops.quarantined_files")
    finally:
        await connection.close()
    return PipelineHistory(settings, loaded.run_id, failed, quarantine_id, rule)


def pipeline_role(database: TestDatabase) -> str:
    """The DSN of the pipeline role (for tests that look at ops as it does)."""
    return asyncpg_dsn(database.role_url(Owner.FLOWS))
