"""transparency.trust_metrics: the headline numbers from the trust scores, the logistics SLA mart
and the support cases of the 30 days to the data date, each against its target."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from flows.gold.build import load_sql
from flows.gold.marts import MART_BY_NAME
from shared.vocabularies.transparency import TRUST_METRICS
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter, build

MARTS = ("mart_trust_scores", "mart_logistics_sla", "trust_metrics")


def nov(day: int, hour: int = 12) -> datetime:
    """A UTC time on a November 2026 day."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


async def _silver(silver: SilverWriter) -> None:
    await silver.add("orders", order_id="O-NOW", customer_id="C-0", order_ts=nov(20, 10),
                     total_amount=Decimal("1.00"))  # fmt: skip
    # D-1: USD 10 a late day, capped at 15. D-2: yen, and silver has no yen rate.
    await silver.add("distributors", distributor_id="D-1", penalty_per_late_day=Decimal("10.00"),
                     penalty_cap=Decimal("15.00"))  # fmt: skip
    await silver.add("distributors", distributor_id="D-2", currency="JPY",
                     penalty_per_late_day=Decimal("100.00"))  # fmt: skip
    shipments = (
        ("SH-1", "ParcelCo", "D-1", date(2026, 11, 18), nov(18)),  # on time
        ("SH-2", "ParcelCo", "D-1", date(2026, 11, 18), nov(20)),  # 2 days late
        ("SH-3", "ParcelCo", "D-1", date(2026, 11, 18), None),  # overdue, 2 days so far
        ("SH-4", "FastShip", "D-1", date(2026, 11, 10), nov(9)),  # on time
        ("SH-5", "FastShip", "D-1", date(2026, 11, 10), nov(10)),  # on time
        ("SH-6", "FastShip", "D-1", date(2026, 10, 1), datetime(2026, 10, 9, tzinfo=UTC)),
        ("SH-7", "FastShip", "D-1", date(2026, 11, 20), None),  # not yet due
        ("SH-8", "FastShip", "D-2", date(2026, 11, 15), nov(16)),  # 1 day late
    )
    for shipment_id, carrier, distributor_id, promised, delivered_at in shipments:
        await silver.add("shipments", shipment_id=shipment_id, order_id=f"O-{shipment_id[3:]}",
                         carrier=carrier, distributor_id=distributor_id, promised_date=promised,
                         delivered_at=delivered_at,
                         status="delivered" if delivered_at else "in_transit")  # fmt: skip
    cases = (
        ("SI-1", "O-2", nov(18), 30, 400, "-0.40"),
        ("SI-2", None, nov(19), 90, 600, "0.20"),  # about no order: still a support case
        ("SI-3", "O-4", nov(10), 10, 100, "0.50"),
        ("SI-4", "O-6", datetime(2026, 10, 1, tzinfo=UTC), 1000, 5000, "-1.00"),  # too old
        ("SI-5", None, nov(20), 50, None, None),  # not resolved yet
    )
    for interaction_id, order_id, opened_at, first, resolution, sentiment in cases:
        await silver.add("support_interactions", interaction_id=interaction_id,
                         order_id=order_id, customer_id="C-1", opened_at=opened_at,
                         first_response_minutes=first, resolution_minutes=resolution,
                         sentiment=None if sentiment is None else Decimal(sentiment))  # fmt: skip
    # S-1 last reported on the 15th (5 days before the data date) with one product to reorder;
    # S-2 never reported.
    await silver.add("stockists", stockist_id="S-1")
    await silver.add("stockists", stockist_id="S-2")
    for product, on_hand in (("P-1", 2), ("P-2", 9)):
        await silver.add("inventory_snapshots", snapshot_date=date(2026, 11, 15),
                         stockist_id="S-1", product_id=product, on_hand_units=on_hand,
                         units_sold=1, reorder_point=3)  # fmt: skip


async def test_headline_metrics_against_their_targets(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await _silver(silver)

    builds = await build(pipeline_dsn, *MARTS)

    rows = await database.fetch("SELECT * FROM transparency.trust_metrics")
    metrics = {
        row["metric"]: (
            row["value"], row["unit"], row["time_window"], row["target"],
            row["target_direction"], row["meets_target"],
        )
        for row in rows
    }  # fmt: skip
    assert metrics == {
        # Carrier rows in the window (SH-6 is older): 6 due (SH-7 pending), 3 on time.
        "on_time_delivery_rate": (Decimal("0.5000"), "ratio", "30d", Decimal("0.9000"),
                                  "at_least", False),
        # SH-2 2 days, SH-3 2 days so far, SH-8 1 day: 5 / 3.
        "average_delay_days": (Decimal("1.6700"), "days", "30d", Decimal("2.0000"), "at_most",
                               True),
        "shipments_due": (Decimal(6), "count", "30d", None, None, None),
        # SI-1, SI-2, SI-3, SI-5 (SI-4 is older): first responses 10, 30, 50, 90.
        "median_first_response_minutes": (Decimal("40.0"), "minutes", "30d", Decimal(60),
                                          "at_most", True),
        # Resolved: 400, 600, 100 minutes; two within 480.
        "resolution_within_target_share": (Decimal("0.6667"), "ratio", "30d",
                                           Decimal("0.9000"), "at_least", False),
        # (-0.40 + 0.20 + 0.50) / 3.
        "average_sentiment": (Decimal("0.1000"), "score", "30d", Decimal(0), "at_least", True),
        "support_cases": (Decimal(4), "count", "30d", None, None, None),
        # Rated subject-days: the 18th (ParcelCo, D-1: 51.67, at risk), the 10th (FastShip,
        # D-1: 97.5, trusted), the 15th (FastShip, D-2: 22.86, at risk); the 20th is unrated.
        "trusted_share": (Decimal("0.3333"), "ratio", "30d", Decimal("0.5000"), "at_least",
                          False),
        # Contract shipments in the window: D-1 has SH-1..5 and SH-7 (2 breaches), D-2 SH-8.
        "sla_breach_rate": (Decimal("0.4286"), "ratio", "30d", Decimal("0.1000"), "at_most",
                            False),
        # D-1: min(20, 15) twice = 30 USD; D-2's 100 JPY has no rate and is left out.
        "penalties_accrued": (Decimal("30.00"), "USD", "30d", None, None, None),
        "stock_alerts": (Decimal(1), "count", "latest", None, None, None),
        # S-1's latest snapshot is 5 days old, S-2 has none.
        "stale_inventory_stockists": (Decimal(2), "count", "latest", Decimal(0), "at_most",
                                      False),
    }  # fmt: skip
    assert set(metrics) == set(TRUST_METRICS)
    penalties = next(row for row in rows if row["metric"] == "penalties_accrued")
    assert penalties["description"].endswith("; 1 contract(s) without a rate are left out")
    assert {row["as_of_date"] for row in rows} == {date(2026, 11, 20)}
    assert [b.mode for b in builds] == ["full", "full", "full"]
    checks = await database.fetch(
        "SELECT status FROM ops.quality_results WHERE mart = 'transparency.trust_metrics'"
    )
    assert len(checks) == len(MART_BY_NAME["trust_metrics"].contract)
    assert {row["status"] for row in checks} == {"pass"}


async def test_metrics_of_an_empty_silver_have_no_values_and_judge_nothing(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await build(pipeline_dsn, *MARTS)

    rows = await database.rows(
        "SELECT metric, value, meets_target FROM transparency.trust_metrics ORDER BY metric"
    )
    counts = {"shipments_due", "support_cases", "stock_alerts", "stale_inventory_stockists"}
    assert rows == [
        (
            metric,
            Decimal(0) if metric in counts | {"penalties_accrued"} else None,
            True if metric == "stale_inventory_stockists" else None,
        )
        for metric in sorted(TRUST_METRICS)
    ]


def _targets(sql: str) -> dict[str, Decimal]:
    block = sql.split("targets AS (", 1)[1].split("),", 1)[0]
    return {
        name: Decimal(value) for value, name in re.findall(r"([-\d.]+)::numeric AS (\w+)", block)
    }


def test_metric_targets_are_the_trust_score_breach_thresholds() -> None:
    scores = _targets(load_sql("mart_trust_scores"))
    metrics = _targets(load_sql("trust_metrics"))
    shared = ("on_time_rate", "delay_days", "first_response_minutes", "resolution_minutes",
              "sentiment")  # fmt: skip
    assert {name: metrics[name] for name in shared} == {name: scores[name] for name in shared}
    assert scores["on_time_rate"] == Decimal("0.90")
