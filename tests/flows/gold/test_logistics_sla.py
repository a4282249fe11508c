"""transparency.mart_logistics_sla on hand-checked contracts: coverage, breaches, capped penalties
converted at the latest rate, inventory days on hand, snapshot recency and stock alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flows.gold.marts import MART_BY_NAME
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter, build

# The newest order is on 2026-11-20: the window is 2026-10-22 .. 2026-11-20.
AS_OF = datetime(2026, 11, 20, 10, tzinfo=UTC)


def nov(day: int, hour: int = 12) -> datetime:
    """A UTC time on a November 2026 day."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


async def _contracts(silver: SilverWriter) -> None:
    # D-1's current terms (EUR 10/day, cap 25); an older version with other terms is ignored.
    await silver.add("distributors", distributor_id="D-1", name="North Dist", currency="EUR",
                     penalty_per_late_day=Decimal("99.00"), penalty_cap=Decimal("999.00"),
                     valid_to=datetime(2026, 1, 1, tzinfo=UTC), is_current=False)  # fmt: skip
    await silver.add("distributors", distributor_id="D-1", name="North Dist", currency="EUR",
                     sla_days=3, penalty_per_late_day=Decimal("10.00"),
                     penalty_cap=Decimal("25.00"),
                     valid_from=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    await silver.add("distributors", distributor_id="D-2", name="South Dist", region="south",
                     sla_days=2, penalty_per_late_day=Decimal("5.00"))  # no cap  # fmt: skip
    await silver.add("stockists", stockist_id="S-1", name="Oslo Beans", city="Oslo",
                     currency="GBP", penalty_per_late_day=Decimal("4.00"),
                     penalty_cap=Decimal("10.00"))  # fmt: skip
    await silver.add("stockists", stockist_id="S-2", name="Bergen Brew", region="west",
                     city="Bergen", penalty_per_late_day=Decimal("3.00"))  # fmt: skip
    # Base USD per unit: the latest on or before the 20th counts, not the one after it.
    for currency, rate_date, rate in (
        ("EUR", date(2026, 11, 10), "1.10"), ("EUR", date(2026, 11, 19), "1.20"),
        ("EUR", date(2026, 11, 21), "9.99"), ("GBP", date(2026, 11, 1), "1.25"),
    ):  # fmt: skip
        await silver.add("fx_rates", currency=currency, rate_date=rate_date, rate=Decimal(rate))


async def _shipments(silver: SilverWriter) -> None:
    shipments = (
        # D-1's contract (no stockist).
        ("SH-1", "D-1", None, date(2026, 11, 10), nov(10)),  # on time
        ("SH-2", "D-1", None, date(2026, 11, 10), nov(12)),  # 2 days: 20 EUR
        ("SH-3", "D-1", None, date(2026, 11, 15), nov(20)),  # 5 days: 50, capped at 25 EUR
        ("SH-4", "D-1", None, date(2026, 11, 18), None),  # undelivered, 2 days so far: 20 EUR
        ("SH-5", "D-1", None, date(2026, 11, 20), None),  # not yet due: no breach
        ("SH-6", "D-1", None, date(2026, 10, 1), nov(1)),  # before the window
        ("SH-7", "D-1", None, date(2026, 11, 25), None),  # after the window
        # S-1's contract: the stockist's SLA set the promise.
        ("SH-8", "D-1", "S-1", date(2026, 11, 12), nov(15)),  # 3 days: 12, capped at 10 GBP
        ("SH-9", "D-1", "S-1", date(2026, 11, 12), nov(12)),  # on time
        # S-2's contract.
        ("SH-10", "D-1", "S-2", date(2026, 11, 19), nov(20)),  # 1 day: 3 USD
        # D-2's contract, no cap.
        ("SH-11", "D-2", None, date(2026, 11, 1), nov(8)),  # 7 days: 35 USD
    )
    for shipment_id, distributor_id, stockist_id, promised, delivered_at in shipments:
        await silver.add("shipments", shipment_id=shipment_id, order_id=f"O-{shipment_id[3:]}",
                         distributor_id=distributor_id, stockist_id=stockist_id,
                         promised_date=promised, delivered_at=delivered_at,
                         status="delivered" if delivered_at else "in_transit")  # fmt: skip


async def _orders(silver: SilverWriter) -> None:
    orders = (
        ("O-NOW", AS_OF, None, None),  # the data time; routed nowhere
        ("O-1", nov(7), None, None),  # shipped through D-1 (SH-1)
        ("O-8", nov(10), "S-1", None),  # placed at S-1 and shipped through it (SH-8)
        ("O-20", nov(19), "S-2", None),  # placed at S-2, not shipped yet
        ("O-21", nov(19), "S-2", nov(19, 13)),  # deleted in the back office
        ("O-22", datetime(2026, 10, 1, tzinfo=UTC), "S-1", None),  # before the window
        ("O-11", datetime(2026, 10, 21, 23, tzinfo=UTC), None, None),  # SH-11, before it too
    )
    for order_id, order_ts, stockist_id, deleted_at in orders:
        await silver.add("orders", order_id=order_id, customer_id="C-1", order_ts=order_ts,
                         stockist_id=stockist_id, deleted_at=deleted_at,
                         total_amount=Decimal("10.00"))  # fmt: skip


async def _inventory(silver: SilverWriter) -> None:
    # S-1 reports daily from the 5th. Its latest 14 days (7th..20th) sell 2 + 1 a day; the 5th
    # and 6th (100 a day) fall outside them, and the 21st lies past the data date.
    for day in range(5, 22):
        sold_per_product = (100, 100) if day < 7 else (2, 1)
        left_per_product = (0, 0) if day == 21 else (30, 4) if day == 20 else (10, 10)
        for product, units, left, reorder_at in zip(
            ("P-1", "P-2"), sold_per_product, left_per_product, (5, 4), strict=True
        ):
            await silver.add("inventory_snapshots", snapshot_date=date(2026, 11, day),
                             stockist_id="S-1", product_id=product, on_hand_units=left,
                             units_sold=units, reorder_point=reorder_at)  # fmt: skip
    # S-2 stopped reporting on the 17th.
    snapshots = (
        (16, "P-1", 12, 2, 3), (16, "P-3", 5, 2, 5),
        (17, "P-1", 8, 1, 3), (17, "P-3", 2, 1, 5), (17, "P-2", 1, 0, 2),
        (17, "P-4", 0, None, None),
    )  # fmt: skip
    for day, product, on_hand, sold, reorder_point in snapshots:
        await silver.add("inventory_snapshots", snapshot_date=date(2026, 11, day),
                         stockist_id="S-2", product_id=product, on_hand_units=on_hand,
                         units_sold=sold, reorder_point=reorder_point)  # fmt: skip


async def _sla_rows(database: TestDatabase) -> dict[tuple[str, str], dict[str, Any]]:
    rows = await database.fetch("SELECT * FROM transparency.mart_logistics_sla")
    return {
        (row["subject_type"], row["subject_id"]): dict(row) | {"refreshed_at": None} for row in rows
    }


async def test_sla_breaches_capped_penalties_fx_coverage_and_inventory(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await _contracts(silver)
    await _shipments(silver)
    await _orders(silver)
    await _inventory(silver)

    [sla] = await build(pipeline_dsn, "mart_logistics_sla")

    common = {"base_currency": "USD", "as_of_date": date(2026, 11, 20), "refreshed_at": None}
    assert await _sla_rows(database) == {
        ("distributor", "D-1"): common | {
            "subject_type": "distributor", "subject_id": "D-1", "name": "North Dist",
            "distributor_id": "D-1", "stockist_id": None, "region": "north", "country": None,
            "stockists": 2, "regions_served": ["north", "west"],
            "cities_served": ["Bergen", "Oslo"],
            # O-1 (shipped through it), O-8 (through S-1), O-20 (placed at S-2).
            "orders_routed_30d": 3, "sla_days": 3,
            # SH-1..SH-5 in the window; SH-2, SH-3, SH-4 breached by 2 + 5 + 2 days.
            "shipments_30d": 5, "breaches_30d": 3, "late_days_30d": 9,
            "penalty_per_late_day": Decimal("10.00"), "penalty_cap": Decimal("25.00"),
            "currency": "EUR",
            # 20 + 25 (capped) + 20 = 65 EUR at 1.20 (the 19th's rate) = 78 USD.
            "penalty_amount": Decimal("65.00"), "fx_rate": Decimal("1.200000"),
            "penalty_amount_base": Decimal("78.00"),
            # Over S-1 and S-2: 34 + 11 units on hand, selling 3 + 3 a day: 7.5 days. Dated by
            # S-2's stale 17th; alerts P-2 at S-1 and P-2, P-3 at S-2.
            "on_hand_units": 45, "avg_daily_units_sold": Decimal("6.00"),
            "days_on_hand": Decimal("7.5"), "last_snapshot_date": date(2026, 11, 17),
            "snapshot_age_days": 3, "stock_alerts": 3, "stock_alert_products": ["P-2", "P-3"],
        },
        ("distributor", "D-2"): common | {
            "subject_type": "distributor", "subject_id": "D-2", "name": "South Dist",
            "distributor_id": "D-2", "stockist_id": None, "region": "south", "country": None,
            "stockists": 0, "regions_served": ["south"], "cities_served": [],
            # SH-11's order was placed on 21 October, the day before the window.
            "orders_routed_30d": 0, "sla_days": 2,
            "shipments_30d": 1, "breaches_30d": 1, "late_days_30d": 7,
            "penalty_per_late_day": Decimal("5.00"), "penalty_cap": None, "currency": "USD",
            # No cap: 7 * 5.
            "penalty_amount": Decimal("35.00"), "fx_rate": Decimal("1.000000"),
            "penalty_amount_base": Decimal("35.00"),
            "on_hand_units": None, "avg_daily_units_sold": None, "days_on_hand": None,
            "last_snapshot_date": None, "snapshot_age_days": None, "stock_alerts": 0,
            "stock_alert_products": [],
        },
        ("stockist", "S-1"): common | {
            "subject_type": "stockist", "subject_id": "S-1", "name": "Oslo Beans",
            "distributor_id": "D-1", "stockist_id": "S-1", "region": "north", "country": None,
            "stockists": None, "regions_served": ["north"], "cities_served": ["Oslo"],
            "orders_routed_30d": 1, "sla_days": 2,
            "shipments_30d": 2, "breaches_30d": 1, "late_days_30d": 3,
            "penalty_per_late_day": Decimal("4.00"), "penalty_cap": Decimal("10.00"),
            "currency": "GBP",
            # 3 * 4 = 12, capped at 10 GBP, at 1.25 = 12.50 USD.
            "penalty_amount": Decimal("10.00"), "fx_rate": Decimal("1.250000"),
            "penalty_amount_base": Decimal("12.50"),
            # 30 + 4 on hand on the 20th, 3 sold a day over the 7th..20th: 34 / 3 = 11.3.
            "on_hand_units": 34, "avg_daily_units_sold": Decimal("3.00"),
            "days_on_hand": Decimal("11.3"), "last_snapshot_date": date(2026, 11, 20),
            "snapshot_age_days": 0, "stock_alerts": 1, "stock_alert_products": ["P-2"],
        },
        ("stockist", "S-2"): common | {
            "subject_type": "stockist", "subject_id": "S-2", "name": "Bergen Brew",
            "distributor_id": "D-1", "stockist_id": "S-2", "region": "west", "country": None,
            "stockists": None, "regions_served": ["west"], "cities_served": ["Bergen"],
            # O-20; O-21 was deleted.
            "orders_routed_30d": 1, "sla_days": 2,
            "shipments_30d": 1, "breaches_30d": 1, "late_days_30d": 1,
            "penalty_per_late_day": Decimal("3.00"), "penalty_cap": None, "currency": "USD",
            "penalty_amount": Decimal("3.00"), "fx_rate": Decimal("1.000000"),
            "penalty_amount_base": Decimal("3.00"),
            # (4 + 2) / 2 days sold = 3 a day; 11 on hand on the 17th (P-4 has no reorder
            # point, so no alert): 3.7 days, 3 days old.
            "on_hand_units": 11, "avg_daily_units_sold": Decimal("3.00"),
            "days_on_hand": Decimal("3.7"), "last_snapshot_date": date(2026, 11, 17),
            "snapshot_age_days": 3, "stock_alerts": 2, "stock_alert_products": ["P-2", "P-3"],
        },
    }  # fmt: skip
    assert (sla.mode, sla.rows) == ("full", 4)
    checks = await database.fetch(
        "SELECT status FROM ops.quality_results WHERE mart = 'transparency.mart_logistics_sla'"
    )
    assert len(checks) == len(MART_BY_NAME["mart_logistics_sla"].contract)
    assert {row["status"] for row in checks} == {"pass"}


async def test_alert_products_are_capped_and_a_penalty_without_a_rate_only_warns(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await silver.add("orders", order_id="O-NOW", customer_id="C-1", order_ts=AS_OF,
                     total_amount=Decimal("10.00"))  # fmt: skip
    # A yen contract and no yen rate in silver.
    await silver.add("distributors", distributor_id="D-1", currency="JPY",
                     penalty_per_late_day=Decimal("100.00"))  # fmt: skip
    await silver.add("shipments", shipment_id="SH-1", order_id="O-1", distributor_id="D-1",
                     promised_date=date(2026, 11, 18), delivered_at=nov(19))  # fmt: skip
    # Twelve products at or below their reorder point.
    await silver.add("stockists", stockist_id="S-1", distributor_id="D-1")
    for number in range(12, 0, -1):
        await silver.add("inventory_snapshots", snapshot_date=date(2026, 11, 20),
                         stockist_id="S-1", product_id=f"P-{number:02d}", on_hand_units=1,
                         units_sold=0, reorder_point=1)  # fmt: skip

    [sla] = await build(pipeline_dsn, "mart_logistics_sla")

    rows = await database.rows(
        "SELECT subject_id, penalty_amount, fx_rate, penalty_amount_base, stock_alerts,"
        " stock_alert_products, days_on_hand FROM transparency.mart_logistics_sla"
        " ORDER BY subject_id"
    )
    first_ten = [f"P-{number:02d}" for number in range(1, 11)]
    assert rows == [
        # Nothing sold: no days-on-hand figure rather than an infinite one.
        ("D-1", Decimal("100.00"), None, None, 12, first_ten, None),
        ("S-1", Decimal("0.00"), Decimal("1.000000"), Decimal("0.00"), 12, first_ten, None),
    ]
    assert [(w.check_name, w.failing_rows) for w in sla.warnings] == [
        ("not_null(penalty_amount_base)", 1)
    ]


async def test_window_counts_back_thirty_days_from_the_data_date(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await silver.add("distributors", distributor_id="D-1")
    for order_id, order_ts in (
        ("O-1", AS_OF - timedelta(days=29)),
        ("O-2", AS_OF - timedelta(days=30)),
    ):
        await silver.add("orders", order_id=order_id, customer_id="C-1", order_ts=order_ts,
                         total_amount=Decimal("10.00"))  # fmt: skip
        await silver.add("shipments", shipment_id=f"SH-{order_id}", order_id=order_id,
                         distributor_id="D-1", promised_date=order_ts.date(),
                         delivered_at=order_ts)  # fmt: skip
    await silver.add("orders", order_id="O-NOW", customer_id="C-1", order_ts=AS_OF,
                     total_amount=Decimal("10.00"))  # fmt: skip

    await build(pipeline_dsn, "mart_logistics_sla")

    # 22 October is the window's first day, 21 October is not.
    assert await database.rows(
        "SELECT orders_routed_30d, shipments_30d FROM transparency.mart_logistics_sla"
    ) == [(1, 1)]


async def test_units_per_day_and_days_on_hand_round_the_exact_values(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await silver.add("orders", order_id="O-NOW", customer_id="C-1", order_ts=AS_OF,
                     total_amount=Decimal("10.00"))  # fmt: skip
    for distributor_id in ("D-1", "D-2"):
        await silver.add("distributors", distributor_id=distributor_id)
    # Units sold per snapshot day and units on hand on the latest day (the 20th).
    stockists = {
        "S-1": ("D-1", (7, 7, 6), 1),  # 20/3 a day
        "S-2": ("D-2", (1, 1, 2), 3),  # 4/3
        "S-3": ("D-2", (0, 1, 1), 0),  # 2/3
        "S-4": ("D-2", (1, 0, 0, 0, 0, 0, 0, 0), 0),  # 1/8
    }
    for stockist_id, (distributor_id, sold, on_hand) in stockists.items():
        await silver.add("stockists", stockist_id=stockist_id, distributor_id=distributor_id)
        for back, units_sold in enumerate(reversed(sold)):
            await silver.add("inventory_snapshots", snapshot_date=date(2026, 11, 20 - back),
                             stockist_id=stockist_id, product_id="P-1",
                             on_hand_units=on_hand if back == 0 else 10,
                             units_sold=units_sold)  # fmt: skip

    await build(pipeline_dsn, "mart_logistics_sla")

    rows = await database.rows(
        "SELECT subject_id, on_hand_units, avg_daily_units_sold, days_on_hand"
        " FROM transparency.mart_logistics_sla ORDER BY subject_id"
    )
    assert rows == [
        # 1 unit / (20/3 a day) = 0.15 days exactly: 0.2. (1 / 6.6666666666666667 gave 0.1.)
        ("D-1", 1, Decimal("6.67"), Decimal("0.2")),
        # 4/3 + 2/3 + 1/8 = 2.125 units a day exactly: 2.13 (the cut-off thirds gave 2.12);
        # 3 units / 2.125 = 1.41 days.
        ("D-2", 3, Decimal("2.13"), Decimal("1.4")),
        ("S-1", 1, Decimal("6.67"), Decimal("0.2")),
        ("S-2", 3, Decimal("1.33"), Decimal("2.3")),  # 3 / (4/3) = 2.25
        ("S-3", 0, Decimal("0.67"), Decimal("0.0")),
        ("S-4", 0, Decimal("0.13"), Decimal("0.0")),  # 1/8 = 0.125
    ]
