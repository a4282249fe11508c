"""transparency.mart_trust_scores on hand-checked days: on-time rates with late, overdue and
not-yet-due shipments, delays, support attribution, the weighted score and its reweighting,
badges, breaches and goodwill, and incremental builds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from flows.gold.marts import MART_BY_NAME
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter, build

# The data time: the newest order is on 2026-11-20, so shipments promised before it are due.
AS_OF = datetime(2026, 11, 20, 10, tzinfo=UTC)
DAY = date(2026, 11, 18)
EST = timezone(timedelta(hours=-5))


def at(day: int, hour: int = 12, tz: timezone = UTC) -> datetime:
    """A time on a November 2026 day."""
    return datetime(2026, 11, day, hour, tzinfo=tz)


async def _data_time(silver: SilverWriter, when: datetime = AS_OF, order_id: str = "O-NOW") -> None:
    await silver.add("orders", order_id=order_id, customer_id="C-0", order_ts=when,
                     total_amount=Decimal("1.00"))  # fmt: skip


async def _day_with_late_overdue_and_support(silver: SilverWriter) -> None:
    """Five ParcelCo shipments through D-1 promised on the 18th (one also through S-1) and four
    support cases opened that UTC day, two of them about no shipment."""
    await _data_time(silver)
    shipments = (
        ("SH-1", None, at(18, 15)),  # on the day: on time
        ("SH-2", None, at(17)),  # early: on time
        ("SH-3", None, at(20, 9)),  # 2 days late
        ("SH-4", None, None),  # undelivered, promised before the 20th: overdue, 2 days so far
        ("SH-5", "S-1", at(18, 23, EST)),  # 23:00 EST is the 19th in UTC: 1 day late
    )
    for shipment_id, stockist_id, delivered_at in shipments:
        await silver.add("shipments", shipment_id=shipment_id, order_id=f"O-{shipment_id[3:]}",
                         distributor_id="D-1", stockist_id=stockist_id, promised_date=DAY,
                         delivered_at=delivered_at,
                         status="delivered" if delivered_at else "in_transit")  # fmt: skip
    cases = (
        ("SI-1", "O-3", at(18, 10), 30, 300, "-0.50"),
        ("SI-2", "O-5", at(17, 22, EST), 90, 600, "-0.10"),  # the 18th 03:00 UTC
        ("SI-3", None, at(18, 11), 5, 10, "0.90"),  # no order: no subject
        ("SI-4", "O-99", at(18, 12), 5, 10, "0.90"),  # an order never shipped: no subject
    )
    for interaction_id, order_id, opened_at, first, resolution, sentiment in cases:
        await silver.add("support_interactions", interaction_id=interaction_id,
                         order_id=order_id, customer_id="C-1", opened_at=opened_at,
                         first_response_minutes=first, resolution_minutes=resolution,
                         sentiment=Decimal(sentiment))  # fmt: skip


async def _scores(database: TestDatabase) -> list[dict[str, Any]]:
    rows = await database.fetch(
        "SELECT * FROM transparency.mart_trust_scores ORDER BY score_date, subject_type, subject_id"
    )
    return [dict(row) | {"refreshed_at": None} for row in rows]


async def test_on_time_rate_delay_and_support_follow_the_subjects_shipments(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await _day_with_late_overdue_and_support(silver)

    [scores] = await build(pipeline_dsn, "mart_trust_scores")

    # ParcelCo and D-1 carry all five shipments: 2 on time, 3 late (2 + 2 + 1 days), and the
    # cases SI-1 and SI-2. Parts: on time 2/5 = 0.4; delay 1 - (5/3)/5 = 2/3; responsiveness
    # 1 (first response 60 <= 60, resolution 450 <= 480); sentiment (-0.3 + 1)/2 = 0.35.
    # Score 50*0.4 + 20*2/3 + 20*1 + 10*0.35 = 56.83: at risk; on time below 75%: a voucher.
    network = {
        "score_date": DAY, "shipments_due": 5, "delivered_on_time": 2, "shipments_late": 3,
        "shipments_pending": 0, "on_time_rate": Decimal("0.4000"), "late_days_total": 5,
        "average_delay_days": Decimal("1.67"), "support_cases": 2,
        "avg_first_response_minutes": Decimal("60.0"), "avg_resolution_minutes": Decimal("450.0"),
        "avg_sentiment": Decimal("-0.300"), "trust_score": Decimal("56.83"), "badge": "at_risk",
        "breach_flags": ["on_time_below_target", "negative_sentiment"],
        "breach_reasons": "on-time rate 40% below target 90% (3 of 5 due shipments late);"
        " average sentiment -0.300 below 0 (negative)",
        "goodwill_action": "voucher", "refreshed_at": None,
    }  # fmt: skip
    # S-1 carries SH-5 (1 day late) and SI-2. Parts: on time 0; delay 1 - 1/5 = 0.8;
    # responsiveness (60/90 + 480/600)/2 = 0.7333; sentiment (-0.1 + 1)/2 = 0.45.
    # Score 0 + 16 + 14.667 + 4.5 = 35.17.
    stockist = {
        "score_date": DAY, "subject_type": "stockist", "subject_id": "S-1", "shipments_due": 1,
        "delivered_on_time": 0, "shipments_late": 1, "shipments_pending": 0,
        "on_time_rate": Decimal("0.0000"), "late_days_total": 1,
        "average_delay_days": Decimal("1.00"), "support_cases": 1,
        "avg_first_response_minutes": Decimal("90.0"), "avg_resolution_minutes": Decimal("600.0"),
        "avg_sentiment": Decimal("-0.100"), "trust_score": Decimal("35.17"), "badge": "at_risk",
        "breach_flags": [
            "on_time_below_target", "first_response_above_target", "resolution_above_target",
            "negative_sentiment",
        ],
        "breach_reasons": "on-time rate 0% below target 90% (1 of 1 due shipments late);"
        " average first response 90.0 min above target 60 min; average resolution 600.0 min"
        " above target 480 min; average sentiment -0.100 below 0 (negative)",
        "goodwill_action": "voucher", "refreshed_at": None,
    }  # fmt: skip
    assert await _scores(database) == [
        network | {"subject_type": "carrier", "subject_id": "ParcelCo"},
        network | {"subject_type": "distributor", "subject_id": "D-1"},
        stockist,
    ]
    assert (scores.mode, scores.keys, scores.rows) == ("full", 1, 3)
    checks = await database.fetch(
        "SELECT status FROM ops.quality_results WHERE mart = 'transparency.mart_trust_scores'"
    )
    assert len(checks) == len(MART_BY_NAME["mart_trust_scores"].contract)
    assert {row["status"] for row in checks} == {"pass"}


async def _shipment(
    silver: SilverWriter, shipment_id: str, carrier: str, distributor_id: str | None,
    promised: date, delivered_at: datetime | None,
) -> None:  # fmt: skip
    await silver.add("shipments", shipment_id=shipment_id, order_id=f"O-{shipment_id}",
                     carrier=carrier, distributor_id=distributor_id, promised_date=promised,
                     delivered_at=delivered_at,
                     status="delivered" if delivered_at else "in_transit")  # fmt: skip


async def test_score_weights_reweighting_badges_and_goodwill(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await _data_time(silver)
    # MidCo/D-2 on the 18th: 3 of 4 on time, one 1 day late, no support.
    for number in range(1, 5):
        await _shipment(silver, f"M-{number}", "MidCo", "D-2", DAY,
                        at(19) if number == 4 else at(18))  # fmt: skip
    # SlowBoat/D-3 on the 15th: 4 of 5 on time, one 4 days late.
    for number in range(1, 6):
        await _shipment(silver, f"B-{number}", "SlowBoat", "D-3", date(2026, 11, 15),
                        at(19) if number == 5 else at(15))  # fmt: skip
    # FastShip/D-4 on the 20th (the data date): one delivered early, one not yet due. A case
    # about the pending one opened on the 19th, answered in 75 minutes.
    await _shipment(silver, "F-1", "FastShip", "D-4", date(2026, 11, 20), at(19))
    await _shipment(silver, "F-2", "FastShip", "D-4", date(2026, 11, 20), None)
    await silver.add("support_interactions", interaction_id="SI-1", order_id="O-F-2",
                     customer_id="C-1", opened_at=at(19), first_response_minutes=75,
                     resolution_minutes=100, sentiment=Decimal("0.60"))  # fmt: skip
    # SlowCo on the 21st, no distributor: only pending, nothing to score.
    await _shipment(silver, "W-1", "SlowCo", None, date(2026, 11, 21), None)

    await build(pipeline_dsn, "mart_trust_scores")

    rows = await database.rows(
        "SELECT score_date, subject_type, subject_id, shipments_due, shipments_pending,"
        " trust_score, badge, breach_flags, goodwill_action FROM transparency.mart_trust_scores"
        " ORDER BY score_date, subject_type DESC, subject_id"
    )
    assert rows == [
        # SlowBoat: on time 0.8, delay 1 - 4/5 = 0.2, no support: the 70 points of delivery
        # weigh alone: (50*0.8 + 20*0.2)/70 = 62.86. A 4-day average delay earns a voucher.
        (date(2026, 11, 15), "distributor", "D-3", 5, 0, Decimal("62.86"), "watch",
         ["on_time_below_target", "delay_above_target"], "voucher"),
        (date(2026, 11, 15), "carrier", "SlowBoat", 5, 0, Decimal("62.86"), "watch",
         ["on_time_below_target", "delay_above_target"], "voucher"),
        # MidCo: (50*0.75 + 20*0.8)/70 = 76.43; on time below 90% but not 75%: shipping refund.
        (DAY, "distributor", "D-2", 4, 0, Decimal("76.43"), "reliable",
         ["on_time_below_target"], "shipping_refund"),
        (DAY, "carrier", "MidCo", 4, 0, Decimal("76.43"), "reliable",
         ["on_time_below_target"], "shipping_refund"),
        # FastShip on the 19th: support only, its 30 points weigh alone: responsiveness
        # (60/75 + 1)/2 = 0.9, sentiment (0.6 + 1)/2 = 0.8: (20*0.9 + 10*0.8)/30 = 86.67.
        (date(2026, 11, 19), "distributor", "D-4", 0, 0, Decimal("86.67"), "reliable",
         ["first_response_above_target"], "apology_note"),
        (date(2026, 11, 19), "carrier", "FastShip", 0, 0, Decimal("86.67"), "reliable",
         ["first_response_above_target"], "apology_note"),
        # FastShip on the 20th: one due and on time, one pending and left out: 100.
        (date(2026, 11, 20), "distributor", "D-4", 1, 1, Decimal("100.00"), "trusted", [],
         "none"),
        (date(2026, 11, 20), "carrier", "FastShip", 1, 1, Decimal("100.00"), "trusted", [],
         "none"),
        (date(2026, 11, 21), "carrier", "SlowCo", 0, 1, None, "unrated", [], "none"),
    ]  # fmt: skip


async def test_incremental_build_of_dirty_days_equals_a_full_rebuild(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await _day_with_late_overdue_and_support(silver)
    await _shipment(silver, "F-1", "FastShip", "D-1", date(2026, 11, 20), None)
    await build(pipeline_dsn, "mart_trust_scores")
    untouched = await database.rows(
        "SELECT refreshed_at FROM transparency.mart_trust_scores WHERE score_date = '2026-11-20'"
    )
    # A silver load delivers the overdue SH-4 (1 day late) and adds a case on the 19th about
    # SH-1; it marks both days dirty, as the silver loads do.
    await database.fetch(
        "UPDATE silver.shipments SET delivered_at = '2026-11-19 08:00+00', status = 'delivered'"
        " WHERE shipment_id = 'SH-4'"
    )
    await silver.add("support_interactions", interaction_id="SI-9", order_id="O-1",
                     customer_id="C-1", opened_at=at(19), first_response_minutes=20,
                     resolution_minutes=60, sentiment=Decimal("0.40"))  # fmt: skip
    await database.fetch(
        "INSERT INTO ops.dirty_days (mart, day) VALUES"
        " ('mart_trust_scores', '2026-11-18'), ('mart_trust_scores', '2026-11-19')"
    )

    [incremental] = await build(pipeline_dsn, "mart_trust_scores", full=False)
    after_incremental = await _scores(database)
    # The day nobody touched kept its rows from the first build.
    assert len(untouched) == 2
    assert untouched == await database.rows(
        "SELECT refreshed_at FROM transparency.mart_trust_scores WHERE score_date = '2026-11-20'"
    )
    await build(pipeline_dsn, "mart_trust_scores")

    assert (incremental.mode, incremental.rebuilt) == ("incremental", [DAY, date(2026, 11, 19)])
    assert after_incremental == await _scores(database)
    parcel = await database.rows(
        "SELECT score_date, shipments_late, late_days_total, average_delay_days, support_cases"
        " FROM transparency.mart_trust_scores WHERE subject_id = 'ParcelCo' ORDER BY score_date"
    )
    # SH-4 now 1 day late instead of 2 so far: 2 + 1 + 1 = 4 days over 3 late shipments.
    assert parcel == [
        (DAY, 3, 4, Decimal("1.33"), 2),
        (date(2026, 11, 19), 0, 0, None, 1),
    ]


async def test_a_new_data_day_turns_pending_shipments_late(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await _data_time(silver)
    await _shipment(silver, "F-1", "FastShip", None, date(2026, 11, 20), at(19))
    await _shipment(silver, "F-2", "FastShip", None, date(2026, 11, 20), None)
    await build(pipeline_dsn, "mart_trust_scores")
    query = (
        "SELECT shipments_due, shipments_pending, on_time_rate, late_days_total, trust_score"
        " FROM transparency.mart_trust_scores WHERE subject_id = 'FastShip'"
    )
    assert await database.rows(query) == [(1, 1, Decimal("1.0000"), 0, Decimal("100.00"))]

    # Orders of the 22nd arrive; no shipment changed, so nothing is marked dirty.
    await _data_time(silver, datetime(2026, 11, 22, 8, tzinfo=UTC), "O-LATER")
    [rebuilt] = await build(pipeline_dsn, "mart_trust_scores", full=False)

    # F-2 is now 2 days overdue: 1 of 2 on time, delay part 1 - 2/5 = 0.6:
    # (50*0.5 + 20*0.6)/70 = 52.86. The move rebuilt the day of the undelivered shipment only.
    assert (rebuilt.mode, rebuilt.rebuilt) == ("incremental", [date(2026, 11, 20)])
    assert await database.rows(query) == [(2, 0, Decimal("0.5000"), 2, Decimal("52.86"))]


async def test_a_data_date_move_rebuilds_the_days_of_undelivered_shipments_before_it(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await _data_time(silver)
    shipments = (
        ("F-1", date(2026, 11, 10), at(10)),  # delivered: its day never moves
        ("F-2", date(2026, 11, 12), None),  # overdue before and after: late by 2 more days
        ("F-3", date(2026, 11, 21), None),  # pending, then overdue on the 22nd
        ("F-4", date(2026, 11, 25), None),  # pending before and after
    )
    for shipment_id, promised, delivered in shipments:
        await _shipment(silver, shipment_id, "FastShip", None, promised, delivered)
    await build(pipeline_dsn, "mart_trust_scores")
    untouched = await database.rows(
        "SELECT score_date, refreshed_at FROM transparency.mart_trust_scores"
        " WHERE score_date IN ('2026-11-10', '2026-11-25') ORDER BY score_date"
    )

    await _data_time(silver, datetime(2026, 11, 22, 8, tzinfo=UTC), "O-LATER")
    [moved] = await build(pipeline_dsn, "mart_trust_scores", full=False)
    after_move = await _scores(database)
    untouched_after_move = await database.rows(
        "SELECT score_date, refreshed_at FROM transparency.mart_trust_scores"
        " WHERE score_date IN ('2026-11-10', '2026-11-25') ORDER BY score_date"
    )
    await build(pipeline_dsn, "mart_trust_scores")
    full_after_move = await _scores(database)
    # Back to the 20th (the later order deleted): the same days move back.
    await silver.connection.execute("DELETE FROM silver.orders WHERE order_id = 'O-LATER'")
    [back] = await build(pipeline_dsn, "mart_trust_scores", full=False)
    after_back = await _scores(database)
    await build(pipeline_dsn, "mart_trust_scores")

    assert moved.mode == back.mode == "incremental"
    assert moved.rebuilt == back.rebuilt == [date(2026, 11, 12), date(2026, 11, 21)]
    assert len(untouched) == 2
    assert untouched == untouched_after_move
    assert after_move == full_after_move
    assert after_back == await _scores(database)
    late = {row["score_date"]: row["late_days_total"] for row in after_move}
    assert late == {
        date(2026, 11, 10): 0,
        date(2026, 11, 12): 10,
        date(2026, 11, 21): 1,
        date(2026, 11, 25): 0,
    }


async def test_a_score_exactly_on_a_half_cent_rounds_up(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await _data_time(silver)
    # TieCo/D-9 on the 18th: 1 of 3 on time, two 1 day late; two cases about T-1 answered in
    # 90 minutes each, not yet resolved, with sentiments 0.53 and 0.54 (mean 0.535).
    await _shipment(silver, "T-1", "TieCo", "D-9", DAY, at(18))
    await _shipment(silver, "T-2", "TieCo", "D-9", DAY, at(19))
    await _shipment(silver, "T-3", "TieCo", "D-9", DAY, at(19))
    for interaction_id, sentiment in (("SI-1", "0.53"), ("SI-2", "0.54")):
        await silver.add("support_interactions", interaction_id=interaction_id,
                         order_id="O-T-1", customer_id="C-1", opened_at=at(18),
                         first_response_minutes=90, resolution_minutes=None,
                         sentiment=Decimal(sentiment))  # fmt: skip

    await build(pipeline_dsn, "mart_trust_scores")

    # Parts: on time 1/3; delay 1 - (2/2)/5 = 0.8; responsiveness 60/90 = 2/3 (no resolution
    # time); sentiment (0.535 + 1)/2 = 0.7675. Score 50/3 + 16 + 40/3 + 7.675 = 53.675 exactly,
    # a half cent: 53.68. (1/3 and 2/3 cut to twenty digits add up to 29.99...9 and gave 53.67.)
    rows = await database.rows(
        "SELECT subject_type, avg_first_response_minutes, avg_resolution_minutes, avg_sentiment,"
        " trust_score, badge FROM transparency.mart_trust_scores ORDER BY subject_type"
    )
    assert rows == [
        ("carrier", Decimal("90.0"), None, Decimal("0.535"), Decimal("53.68"), "at_risk"),
        ("distributor", Decimal("90.0"), None, Decimal("0.535"), Decimal("53.68"), "at_risk"),
    ]
