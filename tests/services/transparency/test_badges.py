"""GET /api/transparency/badges: the criteria (the same as the mart's SQL and the docs) and each
subject's current badge, from its latest rated day."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

import pytest
from httpx import AsyncClient

from flows.gold.marts.transparency import MART_TRUST_SCORES
from services.transparency.entities.badges import BADGE_CRITERIA
from services.transparency.entities.fields import Badge
from tests.flows.gold.silver_rows import SilverWriter, build
from tests.services.mart_rows import MartWriter
from tests.services.responses import assert_problem, page_of, viewer
from tests.services.transparency.marts import BADGES

ROOT = Path(__file__).parents[3]
CRITERIA = [
    {"badge": "trusted", "min_score": 90, "below_score": None,
     "description": "Trust score at least 90."},
    {"badge": "reliable", "min_score": 75, "below_score": 90,
     "description": "Trust score at least 75 and below 90."},
    {"badge": "watch", "min_score": 60, "below_score": 75,
     "description": "Trust score at least 60 and below 75."},
    {"badge": "at_risk", "min_score": 0, "below_score": 60,
     "description": "Trust score below 60."},
    {"badge": "unrated", "min_score": None, "below_score": None,
     "description": "No trust score: nothing to score yet (only shipments not yet due)."},
]  # fmt: skip


def _day(day: int) -> date:
    return date(2026, 11, day)


@pytest.fixture
async def history(marts: MartWriter) -> None:
    """UPS was trusted, then reliable, and has only pending shipments on the 27th; D001 is at
    risk, then pending; S001 reliable once; S009 has never been rated."""
    rows = (
        ("carrier", "UPS", 24, "95.00", "trusted"),
        ("carrier", "UPS", 25, "80.00", "reliable"),
        ("carrier", "UPS", 27, None, "unrated"),
        ("distributor", "D001", 24, "55.00", "at_risk"),
        ("distributor", "D001", 26, None, "unrated"),
        ("stockist", "S001", 25, "85.50", "reliable"),
        ("stockist", "S009", 27, None, "unrated"),
    )
    for subject_type, subject_id, day, score, badge in rows:
        await marts.add("mart_trust_scores", score_date=_day(day), subject_type=subject_type,
                        subject_id=subject_id, badge=badge,
                        trust_score=Decimal(score) if score else None)  # fmt: skip


def current(body: dict[str, Any]) -> list[tuple[str, str, str | None, str, str]]:
    """(subject_id, badge, trust_score, score_date, latest_score_date) of each row."""
    return [
        (row["subject_id"], row["badge"], row["trust_score"], row["score_date"],
         row["latest_score_date"])
        for row in body["data"]
    ]  # fmt: skip


@pytest.mark.usefixtures("history")
async def test_each_subject_shows_the_badge_of_its_latest_rated_day_and_the_criteria(
    transparency_client: AsyncClient,
) -> None:
    body = page_of(await transparency_client.get(BADGES, headers=viewer()))

    assert body["criteria"] == CRITERIA
    assert (body["count"], body["limit"], body["offset"]) == (4, 50, 0)
    assert current(body) == [
        ("UPS", "reliable", "80.00", "2026-11-25", "2026-11-27"),
        ("D001", "at_risk", "55.00", "2026-11-24", "2026-11-26"),
        ("S001", "reliable", "85.50", "2026-11-25", "2026-11-25"),
        ("S009", "unrated", None, "2026-11-27", "2026-11-27"),  # never rated
    ]
    assert body["data"][0] == {
        "subject_type": "carrier",
        "subject_id": "UPS",
        "badge": "reliable",
        "trust_score": "80.00",
        "score_date": "2026-11-25",
        "latest_score_date": "2026-11-27",
    }


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"badge": "reliable"}, ["UPS", "S001"]),
        ({"badge": "trusted"}, []),  # UPS was trusted on the 24th, not any more
        ({"badge": "unrated"}, ["S009"]),
        ({"subject_type": "stockist"}, ["S001", "S009"]),
        ({"subject_type": "stockist", "badge": "reliable"}, ["S001"]),
        ({"sort": "trust_score"}, ["D001", "UPS", "S001", "S009"]),
        ({"sort": "-score_date"}, ["S009", "UPS", "S001", "D001"]),  # ties by subject
        ({"sort": "badge,-subject_id"}, ["D001", "UPS", "S001", "S009"]),
    ],
)
async def test_filters_and_sorting_apply_to_the_current_badges(
    transparency_client: AsyncClient, params: dict[str, str], expected: list[str]
) -> None:
    body = page_of(await transparency_client.get(BADGES, params=params, headers=viewer()))

    assert [row["subject_id"] for row in body["data"]] == expected
    assert body["count"] == len(expected)
    assert body["criteria"] == CRITERIA, "the criteria come with every page"


@pytest.mark.usefixtures("history")
async def test_pages_carry_the_total_of_all_matching_subjects(
    transparency_client: AsyncClient,
) -> None:
    body = page_of(
        await transparency_client.get(BADGES, params={"limit": 2, "offset": 1}, headers=viewer())
    )

    assert (body["count"], [row["subject_id"] for row in body["data"]]) == (4, ["D001", "S001"])


@pytest.mark.parametrize(
    "params",
    [{"badge": "gold"}, {"subject_type": "warehouse"}, {"sort": "name"}, {"limit": 0}],
)
async def test_bad_filters_are_422_problems(
    transparency_client: AsyncClient, params: dict[str, str | int]
) -> None:
    response = await transparency_client.get(BADGES, params=params, headers=viewer())

    assert assert_problem(response, 422)["errors"]


async def test_badges_of_marts_the_pipeline_built_skip_days_not_yet_due(
    silver: SilverWriter, pipeline_dsn: str, transparency_client: AsyncClient
) -> None:
    # The data date is the 20th. ParcelCo via D-1 delivered on the 18th as promised; the
    # shipment promised for the 22nd is not due yet, so the 22nd is unrated.
    await silver.add("orders", order_id="O-NOW", customer_id="C-0",
                     order_ts=datetime(2026, 11, 20, 10, tzinfo=UTC),
                     total_amount=Decimal("1.00"))  # fmt: skip
    await silver.add("shipments", shipment_id="SH-1", order_id="O-1", distributor_id="D-1",
                     promised_date=_day(18),
                     delivered_at=datetime(2026, 11, 18, 12, tzinfo=UTC))  # fmt: skip
    await silver.add("shipments", shipment_id="SH-2", order_id="O-2", distributor_id="D-1",
                     promised_date=_day(22), status="in_transit")  # fmt: skip
    await build(pipeline_dsn, "mart_trust_scores")

    body = page_of(await transparency_client.get(BADGES, headers=viewer()))

    # One on-time delivery, nothing late, no support: 100 on delivery alone.
    assert current(body) == [
        ("ParcelCo", "trusted", "100.00", "2026-11-18", "2026-11-22"),
        ("D-1", "trusted", "100.00", "2026-11-18", "2026-11-22"),
    ]


def test_criteria_are_the_badges_of_the_mart_sql_and_the_docs() -> None:
    sql = (ROOT / "flows/gold/sql/mart_trust_scores.sql").read_text()
    docs = (ROOT / "docs/trust_metrics.md").read_text()
    by_badge = {criterion.badge: criterion for criterion in BADGE_CRITERIA}
    # The lowest score of each badge above at_risk, as the SQL's CASE and the docs' table say.
    sql_minimums = {
        badge: int(score)
        for score, badge in re.findall(r"WHEN trust_score >= (\d+) THEN '(\w+)'", sql)
    }
    docs_minimums = {
        badge: int(score) for badge, score in re.findall(r"\| `(\w+)` \| ≥ (\d+) \|", docs)
    }
    service_minimums = {c.badge: c.min_score for c in BADGE_CRITERIA if c.min_score}

    assert sql_minimums == docs_minimums == service_minimums == {
        "trusted": 90, "reliable": 75, "watch": 60,
    }  # fmt: skip
    # Bands without gaps: each ends where the better one starts; at_risk is the rest from 0.
    scored = [c for c in BADGE_CRITERIA if c.min_score is not None]
    assert [c.below_score for c in scored] == [None, *(c.min_score for c in scored[:-1])]
    assert (by_badge["at_risk"].min_score, by_badge["at_risk"].below_score) == (0, 60)
    assert "ELSE 'at_risk'" in sql
    assert "| `at_risk` | < 60 |" in docs
    # unrated: no score at all.
    assert (by_badge["unrated"].min_score, by_badge["unrated"].below_score) == (None, None)
    assert "WHEN trust_score IS NULL THEN 'unrated'" in sql
    assert (
        [c.badge for c in BADGE_CRITERIA]
        == list(get_args(Badge))
        == list(MART_TRUST_SCORES.accepted_values("badge"))
    )
