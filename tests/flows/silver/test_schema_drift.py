"""Unknown columns follow the entity's drift policy: append, ignore or fail."""

from __future__ import annotations

import asyncpg

from flows.pipeline import run_data_pipeline
from flows.quarantine import retry_quarantined
from flows.settings import DriftPolicy, FlowSettings
from shared.database import asyncpg_dsn
from shared.objectstore import ObjectStore
from tests.conftest import TestDatabase
from tests.flows.entity_csv import render_csv
from tests.flows.orders_csv import ORDER_COLUMNS, order_row

DRIFTED = render_csv(
    [*ORDER_COLUMNS, "gift_wrap"],
    [order_row("o-1") | {"gift_wrap": "yes"}, order_row("o-2")],
)


def with_policy(settings: FlowSettings, policy: DriftPolicy) -> FlowSettings:
    return settings.model_copy(update={"schema_drift_policy": {"orders": policy}})


async def test_append_keeps_unknown_columns_in_extras_and_logs_the_drift(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    lake.write_atomic("landing/orders/drift.csv", DRIFTED)

    summary = await run_data_pipeline(with_policy(flow_settings, DriftPolicy.APPEND))

    assert await database.rows("SELECT order_id, extras::text FROM silver.orders ORDER BY 1") == [
        ("o-1", '{"gift_wrap": "yes"}'),
        ("o-2", "{}"),
    ]
    assert await database.rows("SELECT column_name, change, policy FROM ops.schema_drift") == [
        ("gift_wrap", "added", "append"),
    ]
    assert any("schema drift" in flag for flag in summary.anomalies)


async def test_ignore_drops_unknown_columns_but_still_logs_them(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    lake.write_atomic("landing/orders/drift.csv", DRIFTED)

    await run_data_pipeline(with_policy(flow_settings, DriftPolicy.IGNORE))

    assert await database.rows("SELECT extras::text FROM silver.orders") == [("{}",), ("{}",)]
    assert await database.rows("SELECT policy FROM ops.schema_drift") == [("ignore",)]


async def test_fail_quarantines_the_file_until_the_policy_changes_and_it_is_retried(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    lake.write_atomic("landing/orders/drift.csv", DRIFTED)
    lake.write_atomic("landing/orders/plain.csv", render_csv(ORDER_COLUMNS, [order_row("o-3")]))

    refused = await run_data_pipeline(with_policy(flow_settings, DriftPolicy.FAIL))

    [held] = refused.quarantined
    assert (held.stage, held.error_class) == ("load", "SchemaDriftRefusedError")
    assert "gift_wrap" in held.reason
    assert "ECOM_SCHEMA_DRIFT_POLICY" in held.reason
    assert await database.rows("SELECT order_id FROM silver.orders") == [("o-3",)]
    assert await database.rows("SELECT status FROM ops.pipeline_runs") == [("quarantined",)]
    assert (await run_data_pipeline(with_policy(flow_settings, DriftPolicy.APPEND))).loaded == []

    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        await retry_quarantined(connection, lake, held.quarantine_id, "test")
    finally:
        await connection.close()
    summary = await run_data_pipeline(with_policy(flow_settings, DriftPolicy.APPEND))

    assert summary.total("inserted") == 2
    assert summary.quarantined == []


async def test_a_missing_optional_column_is_logged_and_the_rows_load(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    columns = [c for c in ORDER_COLUMNS if c != "stockist_id"]
    rows = [{k: v for k, v in order_row("o-1").items() if k in columns}]
    lake.write_atomic("landing/orders/narrow.csv", render_csv(columns, rows))

    summary = await run_data_pipeline(flow_settings)

    assert summary.total("inserted") == 1
    assert await database.rows("SELECT column_name, change FROM ops.schema_drift") == [
        ("stockist_id", "missing"),
    ]
