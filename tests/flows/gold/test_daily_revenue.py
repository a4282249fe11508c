"""admin.mart_daily_revenue on a hand-checked day: FX, units, new versus returning, cancellations,
returns and deleted orders."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg

from flows.gold.checksums import mart_checksums
from flows.gold.marts import MART_BY_NAME
from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from shared.objectstore import ObjectStore
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter, build
from tests.flows.orders_csv import order_row, render_orders_csv

DAY = datetime(2026, 11, 10, 9, tzinfo=UTC)


async def test_revenue_per_day_channel_and_region_in_the_base_currency(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    # C-1 ordered before (returning); C-2 orders for the first time, in EUR at 1.10 USD.
    await silver.add("orders", order_id="O-0", customer_id="C-1",
                     order_ts=datetime(2026, 10, 1, tzinfo=UTC),
                     subtotal_amount=Decimal("5.00"), total_amount=Decimal("5.00"))  # fmt: skip
    await silver.add("orders", order_id="O-1", customer_id="C-1", order_ts=DAY,
                     subtotal_amount=Decimal("40.00"), discount_amount=Decimal("4.00"),
                     total_amount=Decimal("41.00"))  # fmt: skip
    await silver.add("orders", order_id="O-2", customer_id="C-2", order_ts=DAY, currency="EUR",
                     fx_rate=Decimal("1.10"), subtotal_amount=Decimal("20.00"),
                     discount_amount=Decimal("0.00"), total_amount=Decimal("20.00"))  # fmt: skip
    await silver.add("orders", order_id="O-3", customer_id="C-2", order_ts=DAY, status="cancelled",
                     subtotal_amount=Decimal("99.00"), total_amount=Decimal("99.00"))  # fmt: skip
    await silver.add("orders", order_id="O-4", customer_id="C-3", order_ts=DAY, status="returned",
                     subtotal_amount=Decimal("7.00"), total_amount=Decimal("7.00"))  # fmt: skip
    await silver.add("orders", order_id="O-5", customer_id="C-4", order_ts=DAY,
                     total_amount=Decimal("500.00"), deleted_at=DAY)  # fmt: skip
    await silver.add("orders", order_id="O-6", customer_id="C-5", order_ts=DAY, channel="mobile",
                     subtotal_amount=Decimal("8.00"), total_amount=Decimal("8.00"))  # fmt: skip
    for item, order, quantity in (("I-1", "O-1", 2), ("I-2", "O-1", 1), ("I-3", "O-2", 4),
                                  ("I-4", "O-3", 9), ("I-5", "O-6", 1)):  # fmt: skip
        await silver.add("order_items", order_item_id=item, order_id=order, product_id="P-1",
                         quantity=quantity)  # fmt: skip

    [revenue] = await build(pipeline_dsn, "mart_daily_revenue")

    rows = await database.fetch(
        "SELECT * FROM admin.mart_daily_revenue WHERE order_date = '2026-11-10' ORDER BY channel"
    )
    assert [dict(row) | {"refreshed_at": None} for row in rows] == [
        {
            "order_date": DAY.date(), "channel": "mobile", "region": "north", "orders": 1,
            "units": 1, "gross_revenue": Decimal("8.00"), "discounts": Decimal("0.00"),
            "net_revenue": Decimal("8.00"), "average_order_value": Decimal("8.00"),
            "new_customers": 1, "returning_customers": 0, "cancelled_orders": 0,
            "returned_orders": 0, "currency": "USD", "refreshed_at": None,
        },
        {
            # O-1 (41.00) and O-2 (20.00 EUR = 22.00 USD) kept; O-3 cancelled, O-4 returned,
            # O-5 deleted. C-2 and C-3 order for the first time; C-1 ordered in October.
            "order_date": DAY.date(), "channel": "web", "region": "north", "orders": 2,
            "units": 7, "gross_revenue": Decimal("62.00"), "discounts": Decimal("4.00"),
            "net_revenue": Decimal("63.00"), "average_order_value": Decimal("31.50"),
            "new_customers": 2, "returning_customers": 1, "cancelled_orders": 1,
            "returned_orders": 1, "currency": "USD", "refreshed_at": None,
        },
    ]  # fmt: skip
    assert (revenue.mode, revenue.keys, revenue.rows) == ("full", 2, 3)
    checks = await database.fetch(
        "SELECT check_name, status FROM ops.quality_results WHERE mart = 'admin.mart_daily_revenue'"
    )
    assert len(checks) == len(MART_BY_NAME["mart_daily_revenue"].contract)
    assert {row["status"] for row in checks} == {"pass"}


async def test_a_first_order_makes_its_customer_new_in_its_own_row_only(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    # C-1 orders first on the web at 09:00 (cancelled later), then twice from the app; C-2,
    # a customer since October, orders on the web.
    await silver.add("orders", order_id="O-0", customer_id="C-2",
                     order_ts=datetime(2026, 10, 1, tzinfo=UTC),
                     total_amount=Decimal("5.00"))  # fmt: skip
    for order_id, customer_id, hour, channel, status in (
        ("O-1", "C-1", 9, "web", "cancelled"),
        ("O-2", "C-1", 10, "mobile", "delivered"),
        ("O-3", "C-1", 11, "mobile", "delivered"),
        ("O-4", "C-2", 12, "web", "delivered"),
    ):
        await silver.add("orders", order_id=order_id, customer_id=customer_id,
                         order_ts=DAY.replace(hour=hour), channel=channel, status=status,
                         total_amount=Decimal("10.00"))  # fmt: skip

    await build(pipeline_dsn, "mart_daily_revenue")

    rows = await database.rows(
        "SELECT channel, orders, cancelled_orders, new_customers, returning_customers"
        " FROM admin.mart_daily_revenue WHERE order_date = '2026-11-10' ORDER BY channel"
    )
    # C-1 is new on the web (its first order, though cancelled) and returning in the app row;
    # the day's rows count C-1 twice but as new once.
    assert rows == [("mobile", 2, 0, 0, 1), ("web", 1, 1, 1, 1)]


async def test_a_batch_rebuilds_its_groups_of_a_day_and_equals_a_full_rebuild(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase, pipeline_dsn: str
) -> None:
    # One day, two groups (web and mobile in the north); then a batch changes a web order and
    # moves another from the web to the south: those two groups and the one it left rebuild.
    day = "2026-11-19T{}:00:00Z"
    lake.write_atomic(
        "landing/orders/a.csv",
        render_orders_csv([
            order_row("o-1", order_date=day.format("09")),
            order_row("o-2", order_date=day.format("10"), customer_id="C00002"),
            order_row("o-3", order_date=day.format("11"), customer_id="C00003", channel="mobile"),
        ]),
    )  # fmt: skip
    await run_data_pipeline(flow_settings)
    refreshed = "SELECT refreshed_at FROM admin.mart_daily_revenue WHERE channel = 'mobile'"
    mobile_built_at = await database.fetch(refreshed)
    changed = "2026-11-20T00:00:00Z"
    lake.write_atomic(
        "landing/orders/b.csv",
        render_orders_csv([
            order_row("o-1", order_date=day.format("09"), total_amount="30.00", updated_at=changed),
            order_row("o-2", order_date=day.format("10"), customer_id="C00002", region="south",
                      updated_at=changed),
        ]),
    )  # fmt: skip

    summary = await run_data_pipeline(flow_settings)

    revenue = summary.marts[0]
    assert (revenue.mode, revenue.rebuilt) == ("incremental", [date(2026, 11, 19)])
    assert await database.fetch(refreshed) == mobile_built_at  # not rebuilt
    rows = await database.fetch(
        "SELECT channel, region, orders, net_revenue, new_customers FROM admin.mart_daily_revenue"
        " ORDER BY channel, region"
    )
    assert [tuple(row) for row in rows] == [
        ("mobile", "north", 1, Decimal("10.00"), 1),
        ("web", "north", 1, Decimal("30.00"), 1),
        ("web", "south", 1, Decimal("10.00"), 1),
    ]
    incremental = await _revenue_checksum(pipeline_dsn)
    await build(pipeline_dsn, "mart_daily_revenue")
    assert await _revenue_checksum(pipeline_dsn) == incremental


async def test_a_whole_dirty_day_takes_in_its_dirty_groups(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    # Two groups of one day; O-2 (mobile) changes, and its whole day is marked dirty beside a
    # group of that day: the day is rebuilt whole, once, and the group's mark is consumed.
    for order, customer, channel in (("O-1", "C-1", "web"), ("O-2", "C-2", "mobile")):
        await silver.add("orders", order_id=order, customer_id=customer, order_ts=DAY,
                         channel=channel, total_amount=Decimal("10.00"))  # fmt: skip
    await build(pipeline_dsn, "mart_daily_revenue")
    await silver.connection.execute(
        "UPDATE silver.orders SET total_amount_base = 70 WHERE order_id = 'O-2'"
    )
    await silver.connection.execute(
        "INSERT INTO ops.dirty_days (mart, day) VALUES ('mart_daily_revenue', '2026-11-10');"
        " INSERT INTO ops.dirty_day_groups (mart, day, channel, region)"
        " VALUES ('mart_daily_revenue', '2026-11-10', 'web', 'north')"
    )

    [revenue] = await build(pipeline_dsn, "mart_daily_revenue", full=False)

    assert (revenue.mode, revenue.keys, revenue.rows) == ("incremental", 1, 2)
    assert await database.fetch("SELECT * FROM ops.dirty_day_groups") == []
    rows = await database.fetch(
        "SELECT channel, net_revenue FROM admin.mart_daily_revenue ORDER BY channel"
    )
    assert [tuple(row) for row in rows] == [("mobile", Decimal("70.00")), ("web", Decimal("10.00"))]


async def _revenue_checksum(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        return (await mart_checksums(connection))["admin.mart_daily_revenue"]
    finally:
        await connection.close()
