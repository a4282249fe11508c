"""Children whose order has not arrived are loaded, counted per run and flagged; the order's
later arrival completes them."""

from __future__ import annotations

from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from shared.objectstore import ObjectStore
from tests.conftest import TestDatabase
from tests.flows.entity_csv import land_rows
from tests.flows.orders_csv import order_row

STAMP = "2026-11-19T10:00:00Z"


def item(item_id: str, order_id: str) -> dict[str, str]:
    return {
        "order_item_id": item_id,
        "order_id": order_id,
        "product_id": "P-1",
        "quantity": "1",
        "unit_price": "4.00",
        "updated_at": STAMP,
    }


def land_children(lake: ObjectStore, order_id: str, name: str) -> None:
    land_rows(lake, "order_items", name, [item(f"I-{order_id}", order_id)])
    payment = {"method": "card", "status": "captured", "amount": "4.00", "currency": "USD"}
    land_rows(
        lake,
        "payments",
        name,
        [payment | {"payment_id": f"P-{order_id}", "order_id": order_id, "updated_at": STAMP}],
    )
    shipment = {"carrier": "ups", "promised_date": "2026-11-22", "status": "created"}
    land_rows(
        lake,
        "shipments",
        name,
        [shipment | {"shipment_id": f"S-{order_id}", "order_id": order_id, "updated_at": STAMP}],
    )


async def test_orphans_are_loaded_counted_and_flagged_until_their_order_arrives(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    land_rows(lake, "orders", "known", [order_row("O-KNOWN")])
    land_children(lake, "O-KNOWN", "known")
    land_children(lake, "O-LATE", "late")

    first = await run_data_pipeline(flow_settings)

    assert first.total("orphans") == 3
    assert {f.entity: f.orphans for f in first.loaded if f.orphans} == {
        "order_items": 1,
        "payments": 1,
        "shipments": 1,
    }
    assert "3 orphan row(s) loaded before their order arrived" in first.anomalies
    [(ledger_orphans, anomalies)] = await database.rows(
        "SELECT (SELECT sum(orphans) FROM ops.file_ledger WHERE run_id = $1),"
        " (SELECT anomalies::text FROM ops.pipeline_runs WHERE run_id = $1)",
        first.run_id,
    )
    assert ledger_orphans == 3
    assert "orphan" in str(anomalies)
    for table, key in (("order_items", "I"), ("payments", "P"), ("shipments", "S")):
        [(count,)] = await database.rows(
            f"SELECT count(*) FROM silver.{table} WHERE order_id = 'O-LATE'"
        )
        assert count == 1, f"{key}: the orphan was not loaded"

    land_rows(lake, "orders", "late", [order_row("O-LATE")])
    second = await run_data_pipeline(flow_settings)

    assert second.total("orphans") == 0
    assert not any("orphan" in flag for flag in second.anomalies)
    [(joined,)] = await database.rows(
        "SELECT (SELECT count(*) FROM silver.order_items JOIN silver.orders USING (order_id))"
        " + (SELECT count(*) FROM silver.payments JOIN silver.orders USING (order_id))"
        " + (SELECT count(*) FROM silver.shipments JOIN silver.orders USING (order_id))"
    )
    assert joined == 6
