"""A large file is staged in an unlogged table that parallel workers can read, and checked in
parallel: each row typed and ruled exactly as from the temporary stage, and nothing of the stage
outlives its load, committed or failed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from flows.generator import GenerateRequest, generate
from flows.pipeline import run_data_pipeline
from flows.settings import DriftPolicy, FlowSettings
from flows.silver import checks, load
from flows.silver.limits import number_limits
from flows.silver.load import LoadOptions, check_staged_rows
from flows.silver.staging import TEMPORARY_STAGE, Stage
from flows.silver.tables import ORDERS
from shared.database import asyncpg_dsn, settings_for
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.generator.lake_files import AS_OF

HEADER = ["order_id", "customer_id", "order_date", "status", "channel", "region", "currency",
          "subtotal_amount", "total_amount", "updated_at", "coupon"]  # fmt: skip
# Every timestamp casts, so that PostgreSQL 15 casts them directly, as a clean large file's load
# does: the careful casts keep a statement out of parallel plans (migration 0014).
CASES = [
    ["O-{n}", "C-1", "2026-11-20T10:00:00Z", "placed", "web", "us-east", "USD", "9.50", "10.00",
     "2026-11-20 10:05:00+02", ""],
    ["O-{n}", "C-2", " 2026-02-28T23:59:59.5+05:30 ", "shipped", "store", "eu-west", "usd",
     "0001.500", "+12", "2026-02-28T23:59:59Z", "SPRING"],
    ["O-{n}", "C-3", "2026-11-20", "placed", "web", "us-east", "USD", "1.234", ".5",
     "2026-11-21T00:00:00Z", ""],
    ["O-{n}", "C-4", "2026-11-20", "lost", "fax", "us-east", "EUR", "1e3", "NaN", "infinity", ""],
    ["O-{n}", "", "2026-11-20T10:00:00Z", "placed", "web", "us-east", "XXX",
     "123456789012345", "5.", "2026-11-20T10:00:00Z", "x" * 300],
    ["O-{n}", "C-5", "2026-11-20T10:00:00Z", "placed", "web", "us-east", "USD", "", "10",
     "2026-11-20T10:00:00Z", ""],
]  # fmt: skip
ROWS = [[field.format(n=n) for field in case] for n in range(600) for case in CASES]

# A parallel plan for a small file, so that it shows the large file's plan: its stage is read by
# two workers whatever its size, and starting them costs the planner nothing. Only the stage:
# the currencies the check looks up stay too small for a parallel scan, as in a real load.
_PARALLEL_ALWAYS = "SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0"
_OPTIONS = LoadOptions(
    base_currency="USD", drift_policy=DriftPolicy.APPEND, tracked=(), max_field_bytes=256
)


async def _stage_and_check(connection: asyncpg.Connection, stage: Stage) -> tuple[list[Any], str]:
    """The checked rows of ROWS staged in `stage`, and the check's plan."""
    async with connection.transaction():
        await connection.execute("SET LOCAL TimeZone = 'UTC'")
        await connection.execute(_PARALLEL_ALWAYS)
        await connection.execute(stage.create(len(HEADER), with_refused=False))
        if stage.schema is not None:
            await connection.execute(f"ALTER TABLE {stage.qualified} SET (parallel_workers = 2)")
        columns = ["source_line", *(f"c{index}" for index in range(len(HEADER)))]
        records = [(line, *row) for line, row in enumerate(ROWS, start=2)]
        await connection.copy_records_to_table(
            stage.table, schema_name=stage.schema, records=records, columns=columns
        )
        staged = checks.StagedHeader.from_header(ORDERS, HEADER)
        await check_staged_rows(connection, ORDERS, staged, _OPTIONS)
        rows = await connection.fetch("SELECT * FROM stage_checked ORDER BY source_line")
        options = checks.CheckOptions(
            base_currency="USD", keep_extras=True, max_field_bytes=256,
            limits=await number_limits(connection, ORDERS),
            soft_casts=connection.get_server_version().major >= load.SOFT_CASTS_SINCE,
            casting=frozenset({"order_ts", "updated_at"}), fx_days=checks.FxDays([], [], []),
        )  # fmt: skip
        statement, args = checks.checked_rows(ORDERS, staged, options)
        async with settings_for(connection, load.CHECK_SETTINGS):
            plan = await connection.fetch(
                f"EXPLAIN {statement.replace('stage_checked', 'stage_explained')}", *args
            )
        if (drop := stage.drop()) is not None:
            await connection.execute(drop)
    return [tuple(row) for row in rows], "\n".join(row[0] for row in plan)


async def test_a_file_checked_in_parallel_is_typed_and_ruled_as_from_the_temporary_stage(
    database: TestDatabase,
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        shared, shared_plan = await _stage_and_check(
            connection, Stage.for_session(connection.get_server_pid())
        )
        temporary, temporary_plan = await _stage_and_check(connection, TEMPORARY_STAGE)
        leftovers = await connection.fetchval(
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'stage_raw%'"
        )
    finally:
        await connection.close()
    assert "Parallel Seq Scan on stage_raw_" in shared_plan
    # Every level of the check runs in the workers: the leader only gathers and writes the rows.
    assert shared_plan.splitlines()[0].startswith("Gather"), shared_plan
    # A temporary table is its session's own: no worker reads it.
    assert "Parallel Seq Scan on stage_raw" not in temporary_plan
    assert shared == temporary
    rules = [row[-2] for row in shared[: len(CASES)]]
    assert rules == [
        None, None, "NUMBER_OUT_OF_RANGE", "BAD_NUMBER", "FIELD_TOO_LONG", None,
    ]  # fmt: skip
    assert leftovers == 0


async def test_a_large_file_leaves_no_stage_whether_its_load_commits_or_fails(
    flow_settings: FlowSettings, database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "PARALLEL_STAGE_BYTES", 0)  # every file is large
    stages = "SELECT count(*) FROM pg_class WHERE relname LIKE 'stage_raw_%'"
    generate(flow_settings, GenerateRequest(days=2, seed=5, as_of=AS_OF, clean=True))

    summary = await run_data_pipeline(flow_settings)

    [orders] = [file for file in summary.loaded if file.entity == "orders"]
    assert orders.inserted > 0
    assert await database.rows(stages) == [(0,)]
    assert await database.rows("SELECT count(*) FROM silver.orders") == [(orders.inserted,)]
    ledger = await database.rows("SELECT count(*) FROM ops.file_ledger")

    async def dying_ledger(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the ledger write died")

    generate(flow_settings, GenerateRequest(as_of=AS_OF + timedelta(hours=1)))
    monkeypatch.setattr(load, "write_ledger", dying_ledger)
    failed = await run_data_pipeline(flow_settings)

    assert failed.loaded == []
    assert await database.rows(stages) == [(0,)]
    assert await database.rows("SELECT count(*) FROM ops.file_ledger") == ledger
