"""transparency.mart_trust_scores recomputed independently, in Python with exact fractions, from
the silver rows of a varied set of days (docs/trust_metrics.md): every published number must be
the exact value rounded half up (away from zero) to its published places, ties included."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter, build

AS_OF = date(2026, 11, 20)
FIRST_RESPONSE_TARGET = 60
RESOLUTION_TARGET = 480
DELAY_CEILING_DAYS = 5
WEIGHTS = {"on_time": 50, "delay": 20, "responsiveness": 20, "sentiment": 10}


def half_up(value: Fraction | None, places: int) -> Decimal | None:
    """`value` to `places` decimals, an exact half away from zero (PostgreSQL's round())."""
    if value is None:
        return None
    units = math.floor(abs(value) * 10**places + Fraction(1, 2))
    return Decimal(units if value >= 0 else -units).scaleb(-places)


def mean(values: list[Fraction]) -> Fraction | None:
    return sum(values, Fraction(0)) / len(values) if values else None


@dataclass
class SubjectDay:
    """What one subject gathered on one day."""

    due: int = 0
    on_time: int = 0
    late: int = 0
    late_days: int = 0
    first_responses: list[Fraction] = field(default_factory=list)
    resolutions: list[Fraction] = field(default_factory=list)
    sentiments: list[Fraction] = field(default_factory=list)

    def score(self) -> Fraction | None:
        parts: dict[str, Fraction] = {}
        if self.due:
            parts["on_time"] = Fraction(self.on_time, self.due)
            delay = Fraction(self.late_days, self.late) if self.late else Fraction(0)
            parts["delay"] = 1 - min(delay / DELAY_CEILING_DAYS, Fraction(1))
        responsiveness = [
            min(Fraction(1), target / average)
            for target, average in (
                (FIRST_RESPONSE_TARGET, mean(self.first_responses)),
                (RESOLUTION_TARGET, mean(self.resolutions)),
            )
            if average is not None
        ]
        if responsiveness:
            parts["responsiveness"] = sum(responsiveness, Fraction(0)) / len(responsiveness)
        sentiment = mean(self.sentiments)
        if sentiment is not None:
            parts["sentiment"] = (sentiment + 1) / 2
        if not parts:
            return None
        weighted = sum((WEIGHTS[name] * part for name, part in parts.items()), Fraction(0))
        return 100 * weighted / sum(WEIGHTS[name] for name in parts)

    def published(self) -> tuple[Any, ...]:
        return (
            half_up(Fraction(self.on_time, self.due) if self.due else None, 4),
            half_up(Fraction(self.late_days, self.late) if self.late else None, 2),
            half_up(mean(self.first_responses), 1),
            half_up(mean(self.resolutions), 1),
            half_up(mean(self.sentiments), 3),
            half_up(self.score(), 2),
        )


def _subjects(shipment: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (subject_type, shipment[column])
        for subject_type, column in (
            ("carrier", "carrier"), ("distributor", "distributor_id"), ("stockist", "stockist_id")
        )
        if shipment[column] is not None
    ]  # fmt: skip


async def recompute(database: TestDatabase) -> dict[tuple[Any, ...], SubjectDay]:
    """Every (day, subject_type, subject_id) of the mart, recomputed from silver."""
    days: dict[tuple[Any, ...], SubjectDay] = defaultdict(SubjectDay)
    shipments = [dict(row) for row in await database.fetch("SELECT * FROM silver.shipments")]
    subjects_of_order: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for shipment in shipments:
        promised = shipment["promised_date"]
        delivered = shipment["delivered_at"]
        delivered_on = delivered.astimezone(UTC).date() if delivered else None
        for subject in _subjects(shipment):
            subjects_of_order[shipment["order_id"]].add(subject)
            day = days[(promised, *subject)]
            if delivered_on is None and promised >= AS_OF:
                continue  # pending: the row exists, nothing is due yet
            day.due += 1
            if delivered_on is not None and delivered_on <= promised:
                day.on_time += 1
            else:
                day.late += 1
                day.late_days += ((delivered_on or AS_OF) - promised).days
    for case in await database.fetch("SELECT * FROM silver.support_interactions"):
        opened_on = case["opened_at"].astimezone(UTC).date()
        for subject in subjects_of_order.get(case["order_id"], set()):
            day = days[(opened_on, *subject)]
            for values, value in (
                (day.first_responses, case["first_response_minutes"]),
                (day.resolutions, case["resolution_minutes"]),
                (day.sentiments, case["sentiment"]),
            ):
                if value is not None:
                    values.append(Fraction(value))
    return days


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour)


async def _varied_days(silver: SilverWriter, rng: random.Random) -> None:
    """Ten days of few shipments and cases per subject, so parts are thirds, sevenths and the
    like, plus one day whose score is exactly 53.675 (test_trust_scores.py works it out)."""
    await silver.add("orders", order_id="O-NOW", customer_id="C-0", order_ts=_at(AS_OF, 10),
                     total_amount=Decimal("1.00"))  # fmt: skip
    orders: list[str | None] = [None]
    for number in range(1, 121):
        promised = AS_OF - timedelta(days=rng.randint(-1, 9))
        lateness = rng.choice((-1, 0, 0, 0, 1, 1, 2, 3, 6, None))
        delivered = None if lateness is None else _at(promised, 24 * lateness + rng.randint(0, 23))
        orders.append(f"O-{number}")
        await silver.add(
            "shipments", shipment_id=f"SH-{number}", order_id=f"O-{number}",
            carrier=rng.choice(("ParcelCo", "MidCo", "SlowBoat")),
            distributor_id=rng.choice(("D-1", "D-2", None)),
            stockist_id=rng.choice(("S-1", None, None)), promised_date=promised,
            delivered_at=delivered, status="delivered" if delivered else "in_transit",
        )  # fmt: skip
    for number in range(1, 61):
        sentiment = Decimal(rng.randint(-100, 100)) / 100
        await silver.add(
            "support_interactions", interaction_id=f"SI-{number}", order_id=rng.choice(orders),
            customer_id="C-1", opened_at=_at(AS_OF - timedelta(days=rng.randint(0, 9)), 12),
            first_response_minutes=rng.choice((None, 20, 45, 60, 90, 150, 200)),
            resolution_minutes=rng.choice((None, 120, 480, 500, 700, 1500)),
            sentiment=rng.choice((None, sentiment)),
        )  # fmt: skip
    tie_day = date(2026, 11, 18)
    # T-1 on time, T-2 and T-3 1 day late.
    for number, late in ((1, 0), (2, 1), (3, 1)):
        await silver.add(
            "shipments", shipment_id=f"T-{number}", order_id=f"O-T-{number}", carrier="TieCo",
            distributor_id="D-9", promised_date=tie_day, delivered_at=_at(tie_day, 24 * late + 12),
        )  # fmt: skip
    for number, sentiment_text in ((1, "0.53"), (2, "0.54")):
        await silver.add(
            "support_interactions", interaction_id=f"SI-T-{number}", order_id="O-T-1",
            customer_id="C-1", opened_at=_at(tie_day, 12), first_response_minutes=90,
            resolution_minutes=None, sentiment=Decimal(sentiment_text),
        )  # fmt: skip


async def test_every_published_number_is_the_exact_value_rounded_half_up(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await _varied_days(silver, random.Random(19))

    await build(pipeline_dsn, "mart_trust_scores")

    rows = await database.fetch(
        "SELECT score_date, subject_type, subject_id, on_time_rate, average_delay_days,"
        " avg_first_response_minutes, avg_resolution_minutes, avg_sentiment, trust_score"
        " FROM transparency.mart_trust_scores"
    )
    published = {tuple(row.values())[:3]: tuple(row.values())[3:] for row in rows}
    expected = {key: day.published() for key, day in (await recompute(database)).items()}
    assert published == expected
    # The data holds the cases that tell exact rounding from rounding a cut-off quotient:
    # scores exactly on a half cent, among them TieCo's 53.675 published as 53.68.
    ties = [
        key for key, day in (await recompute(database)).items()
        if (score := day.score()) is not None and (score * 200).denominator == 1
        and (score * 100).denominator != 1
    ]  # fmt: skip
    assert (date(2026, 11, 18), "carrier", "TieCo") in ties
    assert published[(date(2026, 11, 18), "carrier", "TieCo")][-1] == Decimal("53.68")
    assert len(rows) > 60
