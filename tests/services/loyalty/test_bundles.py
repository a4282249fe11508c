"""GET /api/loyalty/bundles: per segment, its offer and the products recommended to most of its
customers (docs/loyalty_scoring.md, "Bundles per segment")."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from shared.identity import Role
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter, build
from tests.flows.gold.test_loyalty_recommendations import (
    MARTS,
    Shop,
    write_new_customers,
)
from tests.services.loyalty.marts import BUNDLES
from tests.services.responses import as_role, assert_problem

PRODUCT_P2 = {
    "position": 1, "product_id": "P2", "product_name": "Grinder", "customers": 2,
    "share": "1.0000", "average_score": "0.5834", "average_rank": "1.00",
    "co_purchase_customers": 2,
}  # fmt: skip


def products(bundle: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(position, product_id, customers, share, average_score, average_rank, co-purchase)."""
    return [
        (p["position"], p["product_id"], p["customers"], p["share"], p["average_score"],
         p["average_rank"], p["co_purchase_customers"])
        for p in bundle["products"]
    ]  # fmt: skip


@pytest.mark.usefixtures("shop")
async def test_each_segment_bundles_its_most_recommended_products(
    loyalty_client: AsyncClient,
) -> None:
    response = await loyalty_client.get(BUNDLES, headers=as_role(Role.VIEWER))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["as_of_date"], body["top"]) == ("2026-11-26", 5)
    loyal, new = body["data"]  # champions (C4) have no recommendations: no bundle
    assert {key: loyal[key] for key in ("segment", "discount_tier", "discount_percent",
                                        "customers")} == {
        "segment": "loyal", "discount_tier": "loyal_10", "discount_percent": 10, "customers": 2,
    }  # fmt: skip
    # P2 and P4 both reach C1 and C2; P2 first by its average score (0.6667 + 0.5000) / 2 =
    # 0.58335, rounded half up to 0.5834, over P4's 0.2500; P3 reaches C1 only (1 of 2).
    assert loyal["products"][0] == PRODUCT_P2
    assert products(loyal) == [
        (1, "P2", 2, "1.0000", "0.5834", "1.00", 2),
        (2, "P4", 2, "1.0000", "0.2500", "2.50", 0),
        (3, "P3", 1, "0.5000", "0.5000", "2.00", 1),
    ]
    assert (new["segment"], new["discount_tier"], new["discount_percent"], new["customers"]) == (
        "new", "none", 0, 1,
    )  # fmt: skip
    assert products(new) == [(1, "P4", 1, "1.0000", "0.4000", "1.00", 0)]


@pytest.mark.usefixtures("shop")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"top": 1}, {"loyal": ["P2"], "new": ["P4"]}),
        ({"top": 2, "segment": "loyal"}, {"loyal": ["P2", "P4"]}),
        ({"segment": "new"}, {"new": ["P4"]}),
        ({"segment": "champions"}, {}),
    ],
)
async def test_top_and_segment_narrow_the_bundles(
    loyalty_client: AsyncClient, params: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    response = await loyalty_client.get(BUNDLES, params=params, headers=as_role(Role.VIEWER))

    assert response.status_code == 200, response.text
    bundles = {
        bundle["segment"]: [p["product_id"] for p in bundle["products"]]
        for bundle in response.json()["data"]
    }
    assert bundles == expected
    assert response.json()["top"] == params.get("top", 5)


async def test_no_recommendations_no_bundles(loyalty_client: AsyncClient) -> None:
    response = await loyalty_client.get(BUNDLES, headers=as_role(Role.VIEWER))

    assert response.json() == {"as_of_date": None, "top": 5, "data": []}


@pytest.mark.parametrize("params", [{"top": 0}, {"top": 21}, {"segment": "vip"}])
async def test_bad_queries_are_422_problems(
    loyalty_client: AsyncClient, params: dict[str, Any]
) -> None:
    response = await loyalty_client.get(BUNDLES, params=params, headers=as_role(Role.VIEWER))

    assert assert_problem(response, 422)["errors"]


async def test_bundles_of_recommendations_the_pipeline_built(
    silver: SilverWriter, pipeline_dsn: str, loyalty_client: AsyncClient, database: TestDatabase
) -> None:
    await write_new_customers(Shop(silver))
    await build(pipeline_dsn, *MARTS)

    body = (await loyalty_client.get(BUNDLES, headers=as_role(Role.VIEWER))).json()

    # Eight 'new' customers get 20 recommendations (tests/flows/gold: T1 gets B, C, D; T2
    # C, G, D). Counted independently of the service's query:
    expected = await database.rows(
        """
        SELECT product_id, count(*)::int, round(avg(score), 4)::text
        FROM loyalty.mart_loyalty_recommendations
        GROUP BY product_id ORDER BY count(*) DESC, avg(score) DESC, product_id
        """
    )
    [bundle] = body["data"]
    assert (bundle["segment"], bundle["discount_tier"], bundle["customers"]) == ("new", "none", 8)
    served = [(p["product_id"], p["customers"], p["average_score"]) for p in bundle["products"]]
    assert served == expected
    assert sum(p["customers"] for p in bundle["products"]) == 20
