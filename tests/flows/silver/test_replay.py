"""Reprocessing bronze changes nothing; a full replay rebuilds identical silver; rejects can be
replayed after a fix."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from flows.generator import GenerateRequest, generate
from flows.pipeline import run_data_pipeline
from flows.replay import replay_rejects, replay_silver
from flows.settings import FlowSettings
from shared.objectstore import ObjectStore
from tests.conftest import TestDatabase
from tests.flows.entity_csv import land_rows
from tests.flows.generator.lake_files import AS_OF
from tests.flows.orders_csv import order_row
from tests.flows.silver_state import checksums


async def test_reprocessing_bronze_and_a_full_replay_leave_identical_silver(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    generate(flow_settings, GenerateRequest(days=1, seed=3, as_of=AS_OF))
    await run_data_pipeline(flow_settings)
    generate(
        flow_settings,
        GenerateRequest(as_of=datetime.fromtimestamp(AS_OF.timestamp() + 180, UTC)),
    )
    await run_data_pipeline(flow_settings)
    incremental = await checksums(database)
    # A day of history has no weekly badges and few support cases; everything else has rows.
    sparse = {"csr_badges", "support_interactions"}
    assert all(value != "empty" for name, value in incremental.items() if name not in sparse)

    again = await replay_silver(flow_settings, from_date=datetime.now(UTC).date())
    assert again.total("inserted") == again.total("updated") == 0
    assert again.total("rows_read") > 0
    assert await checksums(database) == incremental

    full = await replay_silver(flow_settings)
    assert full.total("inserted") > 0
    assert await checksums(database) == incremental
    [(runs,)] = await database.rows("SELECT count(*) FROM ops.pipeline_runs WHERE kind = 'replay'")
    assert runs == 2


async def test_rejects_pass_on_replay_once_the_missing_fx_rate_has_arrived(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    tolerant = flow_settings.model_copy(update={"max_reject_rate": 1.0})
    land_rows(lake, "orders", "eur", [order_row("o-1", currency="EUR", total_amount="100.00")])
    [loaded] = (await run_data_pipeline(tolerant)).loaded
    assert loaded.rejected == 1
    [(rule, message)] = await database.rows("SELECT rule, message FROM silver.rejects")
    assert rule == "NO_FX_RATE"
    assert "no EUR rate to USD on or before 2026-11-19" in str(message)

    fx = {"currency": "EUR", "base_currency": "USD", "rate": "1.100000"}
    land_rows(
        lake,
        "fx_rates",
        "eur",
        [fx | {"rate_date": "2026-11-18", "updated_at": "2026-11-18T00:00:00Z"}],
    )
    await run_data_pipeline(tolerant)
    summary = await replay_rejects(tolerant, rule="NO_FX_RATE")

    [replayed] = summary.loaded
    assert (replayed.rows_read, replayed.inserted, replayed.rejected) == (1, 1, 0)
    assert await database.rows(
        "SELECT total_amount, fx_rate, total_amount_base FROM silver.orders"
    ) == [(Decimal("100.00"), Decimal("1.100000"), Decimal("110.00"))]
    assert await database.rows(
        "SELECT resolved_run_id = $$" + str(summary.run_id) + "$$ FROM silver.rejects"
    ) == [(True,)]
    assert (await replay_rejects(tolerant)).loaded == []


async def test_records_of_the_wrong_width_are_rejected_and_the_rest_load(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    tolerant = flow_settings.model_copy(update={"max_reject_rate": 1.0})
    good = "o-1,C1,2026-11-19T10:00:00Z,paid,web,north,USD,,,,,10.00,,2026-11-19T10:00:00Z"
    header = (
        "order_id,customer_id,order_date,status,channel,region,currency,subtotal_amount,"
        "discount_amount,shipping_amount,tax_amount,total_amount,stockist_id,updated_at"
    )
    lake.write_atomic("landing/orders/ragged.csv", f"{header}\n{good}\no-2,C1,too,short\n".encode())

    [loaded] = (await run_data_pipeline(tolerant)).loaded

    assert (loaded.rows_read, loaded.inserted, loaded.rejected) == (2, 1, 1)
    [(line, rule, raw)] = await database.rows(
        "SELECT line_number, rule, raw_row::text FROM silver.rejects"
    )
    assert (line, rule) == (3, "MALFORMED_RECORD")
    assert raw == '{"fields": ["o-2", "C1", "too", "short"]}'
