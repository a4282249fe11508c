"""loyalty.mart_customer_summary on hand-checked customers: RFM scores at their thresholds,
every segment rule, tiers in the base currency, a favourite-category tie, the median repurchase
interval, cancelled, returned and deleted orders, and an incremental build against a full one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from flows.gold.marts import MART_BY_NAME
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter, build

SUMMARY = "mart_customer_summary"
AS_OF = date(2026, 11, 20)  # the UTC day of the newest order (C-2's)
PLUS_TWO = timezone(timedelta(hours=2))


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A 2026 UTC timestamp."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def order(
    silver: SilverWriter,
    order_id: str,
    customer_id: str,
    order_ts: datetime,
    total: str,
    *items: tuple[str, int],
    **columns: Any,
) -> None:
    """One order of `total` (native currency) and its items as (product, quantity)."""
    await silver.add("orders", order_id=order_id, customer_id=customer_id, order_ts=order_ts,
                     total_amount=Decimal(total), **columns)  # fmt: skip
    for line, (product_id, quantity) in enumerate(items, start=1):
        await silver.add("order_items", order_item_id=f"{order_id}-{line}", order_id=order_id,
                         product_id=product_id, quantity=quantity)  # fmt: skip


async def write_customers(silver: SilverWriter) -> None:
    """The customers every summary test starts from (expected rows in `EXPECTED`)."""
    for product_id, category in (("P-BEANS", "beans"), ("P-MUG", "accessories"),
                                 ("P-GRINDER", "equipment")):  # fmt: skip
        await silver.add("products", product_id=product_id, category=category)
    # The kettle was an accessory once; its current category counts.
    await silver.add("products", product_id="P-KETTLE", category="accessories",
                     valid_to=at(1, 1), is_current=False)  # fmt: skip
    await silver.add("products", product_id="P-KETTLE", category="equipment", valid_from=at(1, 1))
    for number in range(1, 12):
        await silver.add("customers", customer_id=f"C-{number}")

    # C-1, champions: five kept orders of 80.00, the last at 01:30 on 7 Nov in UTC+2, i.e.
    # 23:30 on 6 Nov UTC -> recency 14 days (the R5 edge). F 5 orders (the F4 edge), M 400.00
    # (the M4 edge) -> '544'. Gaps 14, 20.5, 21.5, 16 days; the cancelled order of 1 Oct is no
    # part of the rhythm -> median (16 + 20.5) / 2 = 18.25 -> 18.3; next order 6 Nov + 18 days.
    # Units: beans 1 + 2, accessories 3, equipment 2 + 1 -> a three-way tie, 'accessories'.
    # The cancelled order's 10 grinders and the deleted order's 10 bags would break the tie.
    await order(silver, "O-1-1", "C-1", at(8, 26, 23, 30), "80.00", ("P-BEANS", 1))
    await order(silver, "O-1-2", "C-1", at(9, 9, 23, 30), "80.00", ("P-MUG", 3))
    await order(silver, "O-1-3", "C-1", at(9, 30, 11, 30), "80.00", ("P-GRINDER", 2))
    await order(silver, "O-1-4", "C-1", at(10, 21, 23, 30), "80.00", ("P-KETTLE", 1))
    await order(silver, "O-1-5", "C-1", datetime(2026, 11, 7, 1, 30, tzinfo=PLUS_TWO), "80.00",
                ("P-BEANS", 2))  # fmt: skip
    await order(silver, "O-1-6", "C-1", at(10, 1), "999.00", ("P-GRINDER", 10), status="cancelled")
    await order(silver, "O-1-7", "C-1", at(11, 19), "500.00", ("P-BEANS", 10),
                deleted_at=at(11, 19, 12))  # fmt: skip
    # C-2, new: the newest order in silver (so as_of_date is 20 Nov): R5, F1, M1 -> '511'.
    await order(silver, "O-2-1", "C-2", at(11, 20, 8), "30.00", ("P-BEANS", 1))
    # C-3, lost without a kept order: one cancelled, one returned.
    await order(silver, "O-3-1", "C-3", at(11, 1), "20.00", ("P-MUG", 5), status="cancelled")
    await order(silver, "O-3-2", "C-3", at(11, 2), "30.00", status="returned")
    # C-4, cannot_lose: monthly 250.00 until 1 Aug -> recency 111 (R2), F4, M5 (1250.00,
    # gold tier); gaps 30, 31, 30, 31 -> 30.5; next order 1 Aug + 31 days (30.5 rounds up).
    for number, month in enumerate((4, 5, 6, 7, 8), start=1):
        await order(silver, f"O-4-{number}", "C-4", at(month, 1), "250.00")
    # C-5, at_risk: 11 Aug and 10 Sep, 40.00 each -> recency 71 (R2), F2, M2 -> '222'.
    await order(silver, "O-5-1", "C-5", at(8, 11), "40.00")
    await order(silver, "O-5-2", "C-5", at(9, 10), "40.00")
    # C-6, potential_loyalist: one order 60 days back (the R3 edge), 49.99 (just M1) -> '311'.
    await order(silver, "O-6-1", "C-6", at(9, 21), "49.99")
    # C-7, hibernating: one order 120 days back (the R2 edge) -> '211'.
    await order(silver, "O-7-1", "C-7", at(7, 23), "45.00")
    # C-8, loyal: 1, 16 and 31 Oct, 50.00 each -> recency 20 (R4), F3, M3 (150.00) -> '433'.
    for number, day in enumerate((1, 16, 31), start=1):
        await order(silver, f"O-8-{number}", "C-8", at(10, day), "50.00")
    # C-9, lost: one order 121 days back (R1) -> '111'.
    await order(silver, "O-9-1", "C-9", at(7, 22), "10.00")
    # C-10 only ever had a deleted order: no row at all.
    await order(silver, "O-10-1", "C-10", at(11, 3), "70.00", deleted_at=at(11, 4))
    # C-11, new and platinum: 5000.00 EUR at 1.10 is 5500.00 USD -> M5 -> '515'.
    await order(silver, "O-11-1", "C-11", at(11, 15), "5000.00", currency="EUR",
                fx_rate=Decimal("1.10"))  # fmt: skip


def row(
    customer_id: str,
    first: datetime | None,
    last: datetime | None,
    frequency: int,
    monetary: str,
    recency_days: int | None,
    rfm: str,
    segment: str,
    tier: str,
    favourite: str | None = None,
    interval: str | None = None,
    expected_next: date | None = None,
    products: tuple[str, ...] = (),
) -> dict[str, object]:
    """An expected mart row, the scores spelled once as `rfm`."""
    amount = Decimal(monetary)
    average = (amount / frequency).quantize(Decimal("0.01")) if frequency else None
    return {
        "customer_id": customer_id, "first_order_at": first, "last_order_at": last,
        "frequency": frequency, "monetary": amount,
        "average_order_value": average,
        "recency_days": recency_days, "recency_score": int(rfm[0]),
        "frequency_score": int(rfm[1]), "monetary_score": int(rfm[2]), "rfm_score": rfm,
        "segment": segment, "lifetime_value": amount, "tier": tier,
        "favourite_category": favourite, "products_bought": list(products),
        "repurchase_interval_days": None if interval is None else Decimal(interval),
        "expected_next_order_date": expected_next, "currency": "USD", "as_of_date": AS_OF,
    }  # fmt: skip


EXPECTED = [
    row("C-1", at(8, 26, 23, 30), at(11, 6, 23, 30), 5, "400.00", 14, "544", "champions",
        "silver", "accessories", "18.3", date(2026, 11, 24),
        ("P-BEANS", "P-GRINDER", "P-KETTLE", "P-MUG")),
    row("C-11", at(11, 15), at(11, 15), 1, "5500.00", 5, "515", "new", "platinum"),
    row("C-2", at(11, 20, 8), at(11, 20, 8), 1, "30.00", 0, "511", "new", "bronze", "beans",
        products=("P-BEANS",)),
    row("C-3", None, None, 0, "0.00", None, "111", "lost", "bronze"),
    row("C-4", at(4, 1), at(8, 1), 5, "1250.00", 111, "245", "cannot_lose", "gold", None, "30.5",
        date(2026, 9, 1)),
    row("C-5", at(8, 11), at(9, 10), 2, "80.00", 71, "222", "at_risk", "bronze", None, "30.0",
        date(2026, 10, 10)),
    row("C-6", at(9, 21), at(9, 21), 1, "49.99", 60, "311", "potential_loyalist", "bronze"),
    row("C-7", at(7, 23), at(7, 23), 1, "45.00", 120, "211", "hibernating", "bronze"),
    row("C-8", at(10, 1), at(10, 31), 3, "150.00", 20, "433", "loyal", "bronze", None, "15.0",
        date(2026, 11, 15)),
    row("C-9", at(7, 22), at(7, 22), 1, "10.00", 121, "111", "lost", "bronze"),
]  # fmt: skip


async def summary_rows(database: TestDatabase) -> dict[str, dict[str, object]]:
    """The mart's rows by customer, with refreshed_at."""
    rows = await database.fetch("SELECT * FROM loyalty.mart_customer_summary ORDER BY customer_id")
    return {row["customer_id"]: dict(row) for row in rows}


def without_refreshed_at(rows: dict[str, dict[str, object]]) -> list[dict[str, object]]:
    """The rows in customer order, refreshed_at left out."""
    return [{k: v for k, v in row.items() if k != "refreshed_at"} for row in rows.values()]


async def test_rfm_scores_segments_tiers_and_repurchase_rhythm_per_customer(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await write_customers(silver)

    [summary] = await build(pipeline_dsn, SUMMARY)

    assert without_refreshed_at(await summary_rows(database)) == EXPECTED
    # Every customer in silver.orders is a key, C-10 (only a deleted order) included.
    assert (summary.mode, summary.keys, summary.rows) == ("full", 11, 10)
    checks = await database.fetch(
        "SELECT check_name, status FROM ops.quality_results"
        " WHERE mart = 'loyalty.mart_customer_summary'"
    )
    assert len(checks) == len(MART_BY_NAME[SUMMARY].contract)
    assert {row["status"] for row in checks} == {"pass"}


async def test_incremental_build_rebuilds_only_the_dirty_customer_and_matches_a_full_build(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await write_customers(silver)
    await build(pipeline_dsn, SUMMARY)
    before = await summary_rows(database)
    # C-8 returns its last order (31 Oct); the silver load would mark C-8 dirty.
    await silver.connection.execute(
        "UPDATE silver.orders SET status = 'returned' WHERE order_id = 'O-8-3'"
    )
    await silver.connection.execute(
        "INSERT INTO ops.dirty_customers (mart, customer_id) VALUES ($1, 'C-8')", SUMMARY
    )

    [incremental] = await build(pipeline_dsn, SUMMARY, full=False)

    assert (incremental.mode, incremental.rebuilt) == ("incremental", ["C-8"])
    after = await summary_rows(database)
    # C-8: 1 and 16 Oct kept -> 100.00, recency 35 (R3), F2, M2 -> '322', potential_loyalist;
    # one gap of 15 days -> next order 31 Oct.
    assert {k: v for k, v in after["C-8"].items() if k != "refreshed_at"} == row(
        "C-8", at(10, 1), at(10, 16), 2, "100.00", 35, "322", "potential_loyalist", "bronze",
        None, "15.0", date(2026, 10, 31),
    )  # fmt: skip
    assert after["C-8"]["refreshed_at"] != before["C-8"]["refreshed_at"]
    # Every other row is the very row published before, refreshed_at included.
    assert {k: v for k, v in after.items() if k != "C-8"} == {
        k: v for k, v in before.items() if k != "C-8"
    }
    assert await database.fetch("SELECT * FROM ops.dirty_customers") == []

    [full] = await build(pipeline_dsn, SUMMARY, full=True)

    assert full.mode == "full"
    assert without_refreshed_at(await summary_rows(database)) == without_refreshed_at(after)
