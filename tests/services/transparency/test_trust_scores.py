"""GET /api/transparency/trust/scores: exact rows, filters, sorting, pages and bad queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient

from tests.services.mart_rows import MartWriter
from tests.services.responses import assert_problem, page_of, viewer
from tests.services.transparency.marts import SCORES


@pytest.fixture
async def scores(marts: MartWriter) -> None:
    """Five subject-days from the 24th to the 26th of November 2026."""
    await marts.add("mart_trust_scores", score_date=date(2026, 11, 24), subject_type="carrier",
                    subject_id="UPS", shipments_due=10, delivered_on_time=9, shipments_late=1,
                    on_time_rate=Decimal("0.9000"), late_days_total=1,
                    average_delay_days=Decimal("1.00"), trust_score=Decimal("95.00"),
                    badge="trusted")  # fmt: skip
    await marts.add("mart_trust_scores", score_date=date(2026, 11, 24),
                    subject_type="distributor", subject_id="D001", shipments_due=10,
                    delivered_on_time=7, shipments_late=3, on_time_rate=Decimal("0.7000"),
                    late_days_total=9, average_delay_days=Decimal("3.00"),
                    trust_score=Decimal("55.00"), badge="at_risk",
                    breach_flags=["on_time_below_target", "delay_above_target"],
                    breach_reasons="on-time rate 70% below target 90%; average delay 3.00 days",
                    goodwill_action="voucher")  # fmt: skip
    await marts.add("mart_trust_scores", score_date=date(2026, 11, 25), subject_type="carrier",
                    subject_id="UPS", shipments_due=4, delivered_on_time=3, shipments_late=1,
                    on_time_rate=Decimal("0.7500"), late_days_total=2,
                    average_delay_days=Decimal("2.00"), trust_score=Decimal("80.00"),
                    badge="reliable", breach_flags=["on_time_below_target"],
                    breach_reasons="on-time rate 75% below target 90%",
                    goodwill_action="shipping_refund")  # fmt: skip
    await marts.add("mart_trust_scores", score_date=date(2026, 11, 25), subject_type="stockist",
                    subject_id="S001", shipments_due=2, delivered_on_time=2,
                    shipments_pending=1, on_time_rate=Decimal("1.0000"),
                    support_cases=1, avg_first_response_minutes=Decimal("90.0"),
                    avg_resolution_minutes=Decimal("300.0"), avg_sentiment=Decimal("-0.200"),
                    trust_score=Decimal("85.50"), badge="reliable",
                    breach_flags=["first_response_above_target", "negative_sentiment"],
                    breach_reasons="average first response 90.0 min above target 60 min;"
                    " average sentiment -0.200 below 0 (negative)",
                    goodwill_action="apology_note")  # fmt: skip
    await marts.add("mart_trust_scores", score_date=date(2026, 11, 26),
                    subject_type="distributor", subject_id="D001", shipments_pending=3)  # fmt: skip


def keys(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(score_date, subject_type, subject_id) of each row, in order."""
    return [(row["score_date"], row["subject_type"], row["subject_id"]) for row in body["data"]]


@pytest.mark.usefixtures("scores")
async def test_viewer_reads_every_row_newest_day_first(transparency_client: AsyncClient) -> None:
    body = page_of(await transparency_client.get(SCORES, headers=viewer()))

    assert (body["count"], body["limit"], body["offset"]) == (5, 50, 0)
    assert keys(body) == [
        ("2026-11-26", "distributor", "D001"),
        ("2026-11-25", "carrier", "UPS"),
        ("2026-11-25", "stockist", "S001"),
        ("2026-11-24", "carrier", "UPS"),
        ("2026-11-24", "distributor", "D001"),
    ]
    assert body["data"][2] == {
        "score_date": "2026-11-25",
        "subject_type": "stockist",
        "subject_id": "S001",
        "shipments_due": 2,
        "delivered_on_time": 2,
        "shipments_late": 0,
        "shipments_pending": 1,
        "on_time_rate": "1.0000",
        "late_days_total": 0,
        "average_delay_days": None,
        "support_cases": 1,
        "avg_first_response_minutes": "90.0",
        "avg_resolution_minutes": "300.0",
        "avg_sentiment": "-0.200",
        "trust_score": "85.50",
        "badge": "reliable",
        "breach_flags": ["first_response_above_target", "negative_sentiment"],
        "breach_reasons": "average first response 90.0 min above target 60 min;"
        " average sentiment -0.200 below 0 (negative)",
        "goodwill_action": "apology_note",
        "refreshed_at": "2026-11-27T06:00:00Z",
    }
    unrated = body["data"][0]
    assert (unrated["trust_score"], unrated["badge"], unrated["breach_flags"]) == (
        None,
        "unrated",
        [],
    )


@pytest.mark.usefixtures("scores")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"subject_type": "carrier"}, [("2026-11-25", "carrier", "UPS"),
                                       ("2026-11-24", "carrier", "UPS")]),
        ({"subject_id": "D001"}, [("2026-11-26", "distributor", "D001"),
                                  ("2026-11-24", "distributor", "D001")]),
        ({"badge": "reliable"}, [("2026-11-25", "carrier", "UPS"),
                                 ("2026-11-25", "stockist", "S001")]),
        ({"from": "2026-11-25", "to": "2026-11-25"}, [("2026-11-25", "carrier", "UPS"),
                                                      ("2026-11-25", "stockist", "S001")]),
        ({"from": "2026-11-25"}, [("2026-11-26", "distributor", "D001"),
                                  ("2026-11-25", "carrier", "UPS"),
                                  ("2026-11-25", "stockist", "S001")]),
        ({"to": "2026-11-24"}, [("2026-11-24", "carrier", "UPS"),
                                ("2026-11-24", "distributor", "D001")]),
        ({"from": "2026-11-26", "to": "2026-11-24"}, []),
        ({"breached": "true"}, [("2026-11-25", "carrier", "UPS"),
                                ("2026-11-25", "stockist", "S001"),
                                ("2026-11-24", "distributor", "D001")]),
        ({"breached": "false"}, [("2026-11-26", "distributor", "D001"),
                                 ("2026-11-24", "carrier", "UPS")]),
        ({"subject_type": "carrier", "breached": "true"}, [("2026-11-25", "carrier", "UPS")]),
        ({"subject_type": "stockist", "badge": "trusted"}, []),
    ],
)  # fmt: skip
async def test_filters_select_exactly_the_matching_rows(
    transparency_client: AsyncClient, params: dict[str, str], expected: list[tuple[str, ...]]
) -> None:
    body = page_of(await transparency_client.get(SCORES, params=params, headers=viewer()))

    assert keys(body) == expected
    assert body["count"] == len(expected)


@pytest.mark.usefixtures("scores")
async def test_sorting_by_allowed_keys_with_the_primary_key_breaking_ties(
    transparency_client: AsyncClient,
) -> None:
    by_score = page_of(
        await transparency_client.get(SCORES, params={"sort": "trust_score"}, headers=viewer())
    )
    by_rate = page_of(
        await transparency_client.get(
            SCORES, params={"sort": "-on_time_rate", "breached": "true"}, headers=viewer()
        )
    )
    # Ties on subject_type are broken by subject_id, then score_date: a total, stable order.
    by_type = page_of(
        await transparency_client.get(SCORES, params={"sort": "subject_type"}, headers=viewer())
    )

    assert [row["trust_score"] for row in by_score["data"]] == [
        "55.00",
        "80.00",
        "85.50",
        "95.00",
        None,  # unrated last when ascending
    ]
    assert [row["on_time_rate"] for row in by_rate["data"]] == ["1.0000", "0.7500", "0.7000"]
    assert keys(by_type) == [
        ("2026-11-24", "carrier", "UPS"),
        ("2026-11-25", "carrier", "UPS"),
        ("2026-11-24", "distributor", "D001"),
        ("2026-11-26", "distributor", "D001"),
        ("2026-11-25", "stockist", "S001"),
    ]


@pytest.mark.usefixtures("scores")
async def test_pages_carry_the_total_of_all_matching_rows(
    transparency_client: AsyncClient,
) -> None:
    second = page_of(
        await transparency_client.get(SCORES, params={"limit": 2, "offset": 1}, headers=viewer())
    )
    last = page_of(
        await transparency_client.get(SCORES, params={"limit": 2, "offset": 4}, headers=viewer())
    )
    beyond = page_of(
        await transparency_client.get(SCORES, params={"limit": 2, "offset": 9}, headers=viewer())
    )

    assert (second["count"], second["limit"], second["offset"]) == (5, 2, 1)
    assert keys(second) == [("2026-11-25", "carrier", "UPS"), ("2026-11-25", "stockist", "S001")]
    assert keys(last) == [("2026-11-24", "distributor", "D001")]
    assert (beyond["count"], beyond["data"]) == (5, [])


async def test_an_empty_mart_is_an_empty_page(transparency_client: AsyncClient) -> None:
    body = page_of(await transparency_client.get(SCORES, headers=viewer()))

    assert body == {"data": [], "count": 0, "limit": 50, "offset": 0}


@pytest.mark.parametrize(
    "params",
    [
        {"subject_type": "warehouse"},
        {"badge": "gold"},
        {"from": "yesterday"},
        {"to": "2026-13-01"},
        {"breached": "maybe"},
        {"sort": "password"},
        {"sort": "refreshed_at"},
        {"sort": "trust_score,"},
        {"subject_id": "x" * 65},
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
    ],
)
async def test_bad_filters_are_422_problems(
    transparency_client: AsyncClient, params: dict[str, str | int]
) -> None:
    response = await transparency_client.get(SCORES, params=params, headers=viewer())

    problem = assert_problem(response, 422)
    assert problem["errors"], "the problem says which parameter is wrong"
