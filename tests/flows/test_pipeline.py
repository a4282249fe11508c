"""The pipeline slice: landing -> bronze -> silver.orders -> admin.mart_daily_revenue."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest
from pydantic import SecretStr

from flows.bronze import pending_landing_keys
from flows.pipeline import run_data_pipeline
from flows.runs import PIPELINE_LOCK_KEY, RejectRateExceededError
from flows.settings import FlowSettings
from shared.database import asyncpg_dsn
from shared.objectstore import ObjectStore
from tests.conftest import TestDatabase
from tests.flows.orders_csv import land_orders, order_row, render_orders_csv

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def test_generated_batch_reaches_silver_and_the_revenue_mart(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    key = land_orders(lake, "batch", 30)
    content = lake.read_bytes(key)

    summary = await run_data_pipeline(flow_settings)

    assert summary.total("rows_read") == 30
    assert summary.total("inserted") == 30
    assert pending_landing_keys(lake) == []
    [bronze] = await database.fetch("SELECT * FROM ops.bronze_files")
    assert bronze["sha256"] == hashlib.sha256(content).hexdigest()
    assert bronze["bronze_path"].endswith(f"/{bronze['sha256']}.csv")
    assert lake.read_bytes(bronze["bronze_path"]) == content
    [ledger] = await database.fetch("SELECT * FROM ops.file_ledger")
    assert (ledger["rows_read"], ledger["rows_inserted"], ledger["rows_rejected"]) == (30, 30, 0)

    [silver] = await database.fetch(
        "SELECT count(*) AS orders, sum(total_amount) FILTER (WHERE status NOT IN"
        " ('cancelled', 'returned')) AS revenue FROM silver.orders",
    )
    [mart] = await database.fetch(
        "SELECT sum(orders + cancelled_orders + returned_orders) AS orders,"
        " sum(net_revenue) AS revenue FROM admin.mart_daily_revenue",
    )
    assert silver["orders"] == mart["orders"] == 30
    assert silver["revenue"] == mart["revenue"]
    [run] = await database.fetch("SELECT status, rows_read FROM ops.pipeline_runs")
    assert (run["status"], run["rows_read"]) == ("succeeded", 30)


async def test_same_content_landed_twice_is_recorded_once_and_changes_nothing(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    data = render_orders_csv([order_row("o-1"), order_row("o-2")])
    lake.write_atomic("landing/orders/first.csv", data)
    await run_data_pipeline(flow_settings)
    before = await database.fetch("SELECT * FROM silver.orders ORDER BY order_id")

    lake.write_atomic("landing/orders/again.csv", data)
    summary = await run_data_pipeline(flow_settings)

    assert summary.loaded == []
    assert [f.newly_landed for f in summary.landed] == [False]
    assert len(await database.fetch("SELECT 1 FROM ops.bronze_files")) == 1
    assert await database.fetch("SELECT * FROM silver.orders ORDER BY order_id") == before
    assert pending_landing_keys(lake) == []


async def test_latest_update_wins_and_older_updates_are_counted_stale(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    lake.write_atomic(
        "landing/orders/1.csv",
        render_orders_csv([order_row("o-1", status="paid", updated_at="2026-11-19T11:00:00Z")]),
    )
    await run_data_pipeline(flow_settings)
    lake.write_atomic(
        "landing/orders/2.csv",
        render_orders_csv(
            [
                order_row("o-1", status="cancelled", updated_at="2026-11-19T09:00:00Z"),
                order_row("o-1", status="delivered", updated_at="2026-11-19T12:00:00Z"),
                order_row("o-1", status="shipped", updated_at="2026-11-19T11:30:00Z"),
            ]
        ),
    )

    summary = await run_data_pipeline(flow_settings)

    [outcome] = summary.loaded
    assert (outcome.updated, outcome.stale, outcome.rows_read) == (1, 2, 3)
    [order] = await database.fetch("SELECT status FROM silver.orders")
    assert order["status"] == "delivered"

    lake.write_atomic(
        "landing/orders/3.csv",
        render_orders_csv([order_row("o-1", status="placed", updated_at="2026-11-19T08:00:00Z")]),
    )
    [late] = (await run_data_pipeline(flow_settings)).loaded
    assert (late.stale, late.updated) == (1, 0)
    [order] = await database.fetch("SELECT status FROM silver.orders")
    assert order["status"] == "delivered"


async def test_keys_alike_to_a_reader_but_not_byte_for_byte_are_different_rows(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    # A file's repeated keys are found by comparing bytes (flows/silver/statements.py): case, and
    # an accent precomposed or combined, make different keys; only the exact repeat competes.
    composed, combined = "o-\u00e9", "o-e\u0301"
    lake.write_atomic(
        "landing/orders/1.csv",
        render_orders_csv(
            [
                order_row("o-a", status="paid", updated_at="2026-11-19T11:00:00Z"),
                order_row("o-A", status="placed", updated_at="2026-11-19T10:00:00Z"),
                order_row(composed, status="shipped", updated_at="2026-11-19T10:00:00Z"),
                order_row(combined, status="delivered", updated_at="2026-11-19T10:00:00Z"),
                order_row("o-a", status="cancelled", updated_at="2026-11-19T09:00:00Z"),
            ]
        ),
    )

    [outcome] = (await run_data_pipeline(flow_settings)).loaded

    assert (outcome.inserted, outcome.stale, outcome.rows_read) == (4, 1, 5)
    orders = await database.fetch("SELECT order_id, status FROM silver.orders")
    assert {row["order_id"]: row["status"] for row in orders} == {
        "o-a": "paid",
        "o-A": "placed",
        composed: "shipped",
        combined: "delivered",
    }


async def test_bad_rows_are_rejected_with_their_rule_and_raw_row(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    lake.write_atomic(
        "landing/orders/mixed.csv",
        render_orders_csv(
            [
                order_row("good"),
                order_row("bad-amount", total_amount="12,50"),
                order_row("bad-date", order_date="2026-02-30T10:00:00Z"),
                order_row("", customer_id="C1"),
                order_row("bad-currency", currency="XXX"),
            ]
        ),
    )

    tolerant = flow_settings.model_copy(update={"max_reject_rate": 1.0})
    summary = await run_data_pipeline(tolerant)

    [outcome] = summary.loaded
    assert (outcome.rows_read, outcome.inserted, outcome.rejected) == (5, 1, 4)
    rejects = await database.fetch(
        "SELECT line_number, rule, raw_row->>'order_id' AS order_id FROM silver.rejects"
    )
    assert {(r["line_number"], r["rule"], r["order_id"]) for r in rejects} == {
        (3, "BAD_NUMBER", "bad-amount"),
        (4, "BAD_TIMESTAMP", "bad-date"),
        (5, "MISSING_REQUIRED", None),  # an empty CSV field stages as NULL
        (6, "UNKNOWN_CURRENCY", "bad-currency"),
    }


async def test_a_reject_rate_above_the_limit_fails_the_run_with_advice(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    lake.write_atomic(
        "landing/orders/bad.csv",
        render_orders_csv([order_row("a", total_amount="n/a"), order_row("b")]),
    )
    strict = flow_settings.model_copy(update={"max_reject_rate": 0.25})

    with pytest.raises(RejectRateExceededError, match=r"50\.0% of the rows were rejected"):
        await run_data_pipeline(strict)

    [run] = await database.fetch("SELECT status, message, rows_rejected FROM ops.pipeline_runs")
    assert (run["status"], run["rows_rejected"]) == ("failed", 1)
    assert "inspect silver.rejects" in run["message"]


async def test_unknown_columns_are_kept_in_extras(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    data = b"discount_code,order_id,customer_id,order_date,status,channel,region,currency,"
    data += b"total_amount,updated_at\nWELCOME10,o-1,C1,2026-11-19,paid,web,north,USD,5.5,"
    data += b"2026-11-19T10:00:00Z\n"
    lake.write_atomic("landing/orders/drift.csv", b"\xef\xbb\xbf" + data)

    await run_data_pipeline(flow_settings)

    [order] = await database.fetch("SELECT extras::text, total_amount FROM silver.orders")
    assert order["extras"] == '{"discount_code": "WELCOME10"}'
    assert order["total_amount"] == Decimal("5.50")


async def test_a_run_is_skipped_while_another_holds_the_lock(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    land_orders(lake, "batch", 5)
    holder = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", PIPELINE_LOCK_KEY)
        summary = await run_data_pipeline(flow_settings)
    finally:
        await holder.close()

    assert summary.skipped
    assert len(pending_landing_keys(lake)) == 1
    assert await database.fetch("SELECT 1 FROM silver.orders") == []


async def test_concurrent_runs_load_each_file_once(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    for number in range(3):
        land_orders(lake, f"batch-{number}", 10, prefix=f"o{number}")

    summaries = await asyncio.gather(*(run_data_pipeline(flow_settings) for _ in range(3)))

    assert sum(s.total("rows_read") for s in summaries) == 30
    [counts] = await database.fetch(
        "SELECT count(*) AS rows, count(DISTINCT order_id) AS keys FROM silver.orders"
    )
    assert counts["rows"] == counts["keys"] == 30


async def test_mart_is_rebuilt_only_for_the_days_that_changed(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    lake.write_atomic(
        "landing/orders/a.csv",
        render_orders_csv([order_row("o-1", order_date="2026-11-01T10:00:00Z"), order_row("o-2")]),
    )
    first = await run_data_pipeline(flow_settings)
    refreshed = "SELECT refreshed_at FROM admin.mart_daily_revenue WHERE order_date = '2026-11-01'"
    untouched_day_built_at = await database.fetch(refreshed)
    lake.write_atomic(
        "landing/orders/b.csv",
        render_orders_csv([order_row("o-2", total_amount="99.00", updated_at="2026-11-20T00:00Z")]),
    )

    second = await run_data_pipeline(flow_settings)

    revenue_first, revenue_second = first.marts[0], second.marts[0]
    assert (revenue_first.mode, revenue_first.keys) == ("full", 2)  # the first build covers all
    assert (revenue_second.mode, revenue_second.keys) == ("incremental", 1)
    assert await database.fetch(refreshed) == untouched_day_built_at
    revenue = {
        str(r["order_date"]): r["net_revenue"]
        for r in await database.fetch(
            "SELECT order_date, net_revenue FROM admin.mart_daily_revenue"
        )
    }
    assert revenue == {"2026-11-01": Decimal("10.00"), "2026-11-19": Decimal("99.00")}


async def test_pipeline_runs_on_s3(
    flow_settings: FlowSettings, database: TestDatabase, s3_lake_url: str, s3_endpoint: str
) -> None:
    settings = flow_settings.model_copy(
        update={
            "object_store_url": s3_lake_url,
            "s3_endpoint_url": s3_endpoint,
            "s3_access_key_id": SecretStr("testing"),
            "s3_secret_access_key": SecretStr("testing"),
        }
    )
    lake = ObjectStore.from_settings(settings)
    key = land_orders(lake, "batch", 8)

    summary = await run_data_pipeline(settings)

    assert summary.total("inserted") == 8
    assert not lake.exists(key)
    [bronze] = await database.fetch("SELECT bronze_path FROM ops.bronze_files")
    assert lake.exists(bronze["bronze_path"])


async def test_a_run_emits_lineage_naming_what_it_read_and_wrote(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    land_orders(lake, "batch", 3)

    summary = await run_data_pipeline(flow_settings)

    events = [
        json.loads(line)
        for line in (flow_settings.data_path / "lineage" / "events.jsonl").read_text().splitlines()
    ]
    assert [event["eventType"] for event in events] == ["START", "COMPLETE"]
    complete = events[-1]
    assert complete["run"]["runId"] == str(summary.run_id), "the pipeline run's own id"
    assert complete["job"]["name"] == "data_pipeline"
    inputs = [dataset["name"] for dataset in complete["inputs"]]
    outputs = {dataset["name"].split(".", 1)[-1] for dataset in complete["outputs"]}  # no db
    lake_paths = {tuple(name.rsplit("/", 2)[-2:]) for name in inputs if "/" in name}
    assert lake_paths == {("landing", "orders"), ("bronze", "orders")}
    assert any(name.endswith(".silver.order_items") for name in inputs), "the mart's sources"
    assert {"silver.orders", "admin.mart_daily_revenue"} <= outputs
