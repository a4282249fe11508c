"""GET /api/loyalty/segments: every segment with its customers, share and averages; its rules
are those of the summary mart's SQL and of docs/loyalty_scoring.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import pytest
from httpx import AsyncClient

from flows.gold.marts import loyalty as contract
from services.loyalty.entities import fields
from services.loyalty.entities.segments import SEGMENT_RULES
from shared.identity import Role
from shared.vocabularies.loyalty import Tier
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter, build
from tests.flows.gold.test_loyalty_recommendations import Shop, write_new_customers
from tests.services.loyalty.marts import SEGMENTS
from tests.services.responses import as_role

ROOT = Path(__file__).parents[3]


def rules_of(segment: str) -> list[dict[str, Any]]:
    """The rules the service states for `segment`, as JSON."""
    return [rule.model_dump() for rule in SEGMENT_RULES if rule.segment == segment]


def statistics(body: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """segment -> (customers, share, average monetary, frequency, recency)."""
    return {
        row["segment"]: (row["customers"], row["share"], row["average_monetary"],
                         row["average_frequency"], row["average_recency_days"])
        for row in body["data"]
    }  # fmt: skip


@pytest.mark.usefixtures("shop")
async def test_each_segment_shows_its_customers_averages_and_rules(
    loyalty_client: AsyncClient,
) -> None:
    response = await loyalty_client.get(SEGMENTS, headers=as_role(Role.VIEWER))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["as_of_date"], body["currency"], body["customers"]) == ("2026-11-26", "USD", 5)
    # loyal: C1 (300.00, 4 orders, 10 days) and C2 (150.50, 3, 40): 2 of 5 = 0.4000, monetary
    # 450.50 / 2 = 225.25, frequency 3.50, recency 25.0. C5 (lost) has no recency at all, so
    # its segment's average recency is null while its monetary and frequency average 0.
    assert statistics(body) == {
        "champions": (1, "0.2000", "1200.00", "12.00", "5.0"),
        "loyal": (2, "0.4000", "225.25", "3.50", "25.0"),
        "potential_loyalist": (0, "0.0000", None, None, None),
        "new": (1, "0.2000", "20.00", "1.00", "3.0"),
        "at_risk": (0, "0.0000", None, None, None),
        "cannot_lose": (0, "0.0000", None, None, None),
        "hibernating": (0, "0.0000", None, None, None),
        "lost": (1, "0.2000", "0.00", "0.00", None),
    }
    by_segment = {row["segment"]: row for row in body["data"]}
    assert by_segment["champions"]["rules"] == [
        {"precedence": 2, "segment": "champions", "rule": "R ≥ 4, F ≥ 4, M ≥ 4",
         "meaning": "recent, frequent, big spenders"},
    ]  # fmt: skip
    assert [rule["precedence"] for rule in by_segment["lost"]["rules"]] == [1, 9]
    assert all(row["rules"] == rules_of(row["segment"]) for row in body["data"])


async def test_before_the_first_build_every_segment_is_listed_empty(
    loyalty_client: AsyncClient,
) -> None:
    response = await loyalty_client.get(SEGMENTS, headers=as_role(Role.VIEWER))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["as_of_date"], body["currency"], body["customers"]) == (None, None, 0)
    assert [row["segment"] for row in body["data"]] == list(
        contract.MART_CUSTOMER_SUMMARY.accepted_values("segment")
    )
    assert set(statistics(body).values()) == {(0, None, None, None, None)}
    assert all(row["rules"] == rules_of(row["segment"]) for row in body["data"])


async def test_segments_of_a_summary_the_pipeline_built(
    silver: SilverWriter, pipeline_dsn: str, loyalty_client: AsyncClient, database: TestDatabase
) -> None:
    # Eight customers with one recent 20.00 order each, all 'new'; T1's cancelled order does
    # not count. The data date is 20 Nov: U6 ordered that day, the others on the 18th, so the
    # average recency is (7 x 2 + 0) / 8 = 1.75, shown as 1.8.
    await write_new_customers(Shop(silver))
    await build(pipeline_dsn, "mart_customer_summary")

    body = (await loyalty_client.get(SEGMENTS, headers=as_role(Role.VIEWER))).json()

    assert (body["as_of_date"], body["currency"], body["customers"]) == ("2026-11-20", "USD", 8)
    assert statistics(body)["new"] == (8, "1.0000", "20.00", "1.00", "1.8")
    assert sum(row["customers"] for row in body["data"]) == 8


def test_rules_are_the_segments_of_the_mart_sql_and_the_docs() -> None:
    sql = (ROOT / "flows/gold/sql/mart_customer_summary.sql").read_text()
    docs = (ROOT / "docs/loyalty_scoring.md").read_text()
    docs_rules = [
        (int(number), segment, rule, meaning)
        for number, segment, rule, meaning in re.findall(
            r"^\| (\d) \| `(\w+)` \| (.+?) \| (.+?) \|$", docs, re.MULTILINE
        )
    ]
    # The segment CASE of the SQL, in order (the first WHEN is "no kept order").
    case = sql[sql.index("WHEN s.frequency = 0 THEN 'lost'") :]
    case = case[: case.index("END AS segment")]
    sql_order = re.findall(r"THEN '(\w+)'", case) + re.findall(r"ELSE '(\w+)'", case)
    service_rules = [(r.precedence, r.segment, r.rule, r.meaning) for r in SEGMENT_RULES]

    assert service_rules == docs_rules
    assert [segment for _n, segment, _r, _m in service_rules] == sql_order
    assert len(service_rules) == 9
    # The conditions themselves: "R ≥ 4, F ≥ 4, M ≥ 4" is "s.r >= 4 AND s.f >= 4 AND s.m >= 4".
    sql_conditions = re.findall(r"WHEN (s\.[rfm] .+?) THEN '(\w+)'", case)
    spelled = [
        (rule.rule.replace("≥", ">=").replace(", ", " AND ").replace("R ", "s.r ")
         .replace("F ", "s.f ").replace("M ", "s.m "), rule.segment)
        for rule in SEGMENT_RULES[1:-1]
    ]  # fmt: skip
    assert spelled == sql_conditions


def test_vocabularies_are_the_data_contracts() -> None:
    summary = contract.MART_CUSTOMER_SUMMARY.accepted_values
    recommendations = contract.MART_LOYALTY_RECOMMENDATIONS.accepted_values
    assert get_args(fields.Segment) == summary("segment") == recommendations("segment")
    assert get_args(Tier) == summary("tier")
    assert get_args(fields.Channel) == recommendations("channel")
    assert get_args(fields.NextBestAction) == recommendations("next_best_action")
    assert get_args(fields.RecommendationStatus) == recommendations("status")
    assert get_args(fields.Basis) == recommendations("basis")
    assert get_args(fields.DiscountTier) == recommendations("discount_tier")
