"""ops.kpi_snapshots: one row of headline KPIs per pipeline run, counted from the marts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from flows.settings import FlowSettings
from flows.steps import gold_step
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter


async def test_a_run_snapshots_its_kpis_as_of_the_newest_order(
    silver: SilverWriter, pipeline_dsn: str, flow_settings: FlowSettings, database: TestDatabase
) -> None:
    orders = (  # id, customer, placed, total, status
        ("O-1", "C-1", datetime(2026, 11, 1, tzinfo=UTC), "10.00", "delivered"),
        ("O-2", "C-1", datetime(2026, 11, 20, tzinfo=UTC), "30.00", "delivered"),
        ("O-3", "C-2", datetime(2026, 11, 25, tzinfo=UTC), "20.00", "cancelled"),
        ("O-4", "C-3", datetime(2026, 8, 1, tzinfo=UTC), "40.00", "delivered"),
    )
    for customer in ("C-1", "C-2", "C-3"):
        await silver.add("customers", customer_id=customer)
    for order_id, customer, placed, total, status in orders:
        await silver.add("orders", order_id=order_id, customer_id=customer, order_ts=placed,
                         total_amount=Decimal(total), status=status)  # fmt: skip
    run_id = uuid.uuid4()

    await gold_step(flow_settings, pipeline_dsn, run_id)

    [snapshot] = await database.fetch("SELECT * FROM ops.kpi_snapshots WHERE run_id = $1", run_id)
    # As of 2026-11-25 (O-3, the newest order, though cancelled): three kept orders worth 80.00;
    # O-1 and O-2 in the last 30 days; C-1 and C-3 are customers, only C-1 active in 90 days
    # and ordering twice; one of four placed orders was undone.
    assert dict(snapshot) | {"captured_at": None} == {
        "captured_at": None,
        "run_id": run_id,
        "as_of": datetime(2026, 11, 25),
        "orders": 3,
        "customers": 2,
        "net_revenue": Decimal("80.00"),
        "average_order_value": Decimal("26.67"),
        "orders_last_30_days": 2,
        "revenue_last_30_days": Decimal("40.00"),
        "active_customers_90d": 1,
        "repeat_customer_rate": Decimal("0.5000"),
        "cancellation_rate": Decimal("0.2500"),
        "currency": "USD",
    }


async def test_incremental_runs_keep_the_customer_counts_a_full_count_gives(
    silver: SilverWriter, pipeline_dsn: str, flow_settings: FlowSettings, database: TestDatabase
) -> None:
    counts = (
        "SELECT count(*) FILTER (WHERE frequency > 0),"
        " count(*) FILTER (WHERE frequency > 0 AND recency_days < 90),"
        " count(*) FILTER (WHERE frequency > 1) FROM loyalty.mart_customer_summary"
    )
    snapshot = (
        "SELECT customers, active_customers_90d, repeat_customer_rate FROM ops.kpi_snapshots"
        " WHERE run_id = $1"
    )
    for customer in ("C-1", "C-2", "C-3"):
        await silver.add("customers", customer_id=customer)
    orders = (  # id, customer, placed
        ("O-1", "C-1", datetime(2026, 11, 20, tzinfo=UTC)),
        ("O-2", "C-2", datetime(2026, 6, 1, tzinfo=UTC)),
        ("O-3", "C-1", datetime(2026, 11, 20, 5, tzinfo=UTC)),
        ("O-4", "C-3", datetime(2026, 11, 19, tzinfo=UTC)),
    )
    for order_id, customer, placed in orders[:2]:
        await silver.add("orders", order_id=order_id, customer_id=customer, order_ts=placed,
                         total_amount=Decimal("10.00"))  # fmt: skip
    await gold_step(flow_settings, pipeline_dsn, uuid.uuid4())
    # The same data day: C-1 orders again (a repeat customer now), C-2's only order is
    # cancelled (no longer a customer), C-3 orders for the first time.
    for order_id, customer, placed in orders[2:]:
        await silver.add("orders", order_id=order_id, customer_id=customer, order_ts=placed,
                         total_amount=Decimal("10.00"))  # fmt: skip
    await silver.connection.execute(
        "UPDATE silver.orders SET status = 'cancelled' WHERE order_id = 'O-2'"
    )
    await silver.connection.execute(
        "INSERT INTO ops.dirty_customers (mart, customer_id) VALUES"
        " ('mart_customer_summary', 'C-1'), ('mart_customer_summary', 'C-2'),"
        " ('mart_customer_summary', 'C-3')"
    )
    run_id = uuid.uuid4()

    [_, summary, _] = await gold_step(flow_settings, pipeline_dsn, run_id)

    assert (summary.mode, summary.rebuilt) == ("incremental", ["C-1", "C-2", "C-3"])
    [(customers, active, repeat)] = await database.rows(counts)
    assert (customers, active, repeat) == (2, 2, 1)
    assert await database.rows(snapshot, run_id) == [(2, 2, Decimal("0.5000"))]
