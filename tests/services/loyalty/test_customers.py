"""GET /api/loyalty/customers/{customer_id}: the summary row with its ranked recommendations; 404
for an unknown customer; a customer may read only itself (403 otherwise). GET
/api/loyalty/customers: the summary rows filtered, sorted and paged; a customer lists only
itself."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from shared.identity import Role
from tests.services.loyalty.marts import CUSTOMERS
from tests.services.responses import as_role, assert_problem, page_of

pytestmark = pytest.mark.usefixtures("shop")


async def test_the_summary_comes_with_the_recommendations_by_rank(
    loyalty_client: AsyncClient,
) -> None:
    response = await loyalty_client.get(f"{CUSTOMERS}/C1", headers=as_role(Role.VIEWER))

    assert response.status_code == 200, response.text
    body = response.json()
    recommendations = body.pop("recommendations")
    assert body == {
        "customer_id": "C1",
        "first_order_at": "2026-08-01T09:00:00Z",
        "last_order_at": "2026-11-16T09:00:00Z",
        "frequency": 4,
        "monetary": "300.00",
        "average_order_value": "75.00",
        "recency_days": 10,
        "recency_score": 5,
        "frequency_score": 3,
        "monetary_score": 3,
        "rfm_score": "533",
        "segment": "loyal",
        "lifetime_value": "300.00",
        "tier": "silver",
        "favourite_category": "beans",
        "products_bought": ["P1", "P5"],
        "repurchase_interval_days": "35.5",
        "expected_next_order_date": "2026-12-22",
        "currency": "USD",
        "as_of_date": "2026-11-26",
        "refreshed_at": "2026-11-27T06:00:00Z",
    }
    assert [(r["rank"], r["product_id"], r["score"], r["basis"]) for r in recommendations] == [
        (1, "P2", "0.6667", "co_purchase"),
        (2, "P3", "0.5000", "co_purchase"),
        (3, "P4", "0.2500", "segment_popularity"),
    ]
    assert {r["customer_id"] for r in recommendations} == {"C1"}


async def test_a_customer_without_recommendations_gets_an_empty_list(
    loyalty_client: AsyncClient,
) -> None:
    response = await loyalty_client.get(f"{CUSTOMERS}/C5", headers=as_role(Role.ADMIN))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["segment"], body["frequency"], body["first_order_at"], body["recency_days"]) == (
        "lost",
        0,
        None,
        None,
    )
    assert body["recommendations"] == []


async def test_an_unknown_customer_is_a_404_problem(loyalty_client: AsyncClient) -> None:
    response = await loyalty_client.get(f"{CUSTOMERS}/C404", headers=as_role(Role.VIEWER))

    assert assert_problem(response, 404)["detail"] == "No loyalty summary for customer 'C404'."


async def test_a_customer_reads_itself_and_nobody_else(loyalty_client: AsyncClient) -> None:
    itself = await loyalty_client.get(f"{CUSTOMERS}/C3", headers=as_role(Role.CUSTOMER, "C3"))
    other = await loyalty_client.get(f"{CUSTOMERS}/C1", headers=as_role(Role.CUSTOMER, "C3"))
    unknown = await loyalty_client.get(f"{CUSTOMERS}/C404", headers=as_role(Role.CUSTOMER, "C3"))
    own_but_absent = await loyalty_client.get(
        f"{CUSTOMERS}/C9", headers=as_role(Role.CUSTOMER, "C9")
    )

    assert itself.status_code == 200, itself.text
    assert [r["product_id"] for r in itself.json()["recommendations"]] == ["P4"]
    # Another customer's id is refused whether it exists or not: ids reveal nothing.
    assert assert_problem(other, 403)["detail"] == (
        "A customer may read only its own loyalty summary."
    )
    assert_problem(unknown, 403)
    assert_problem(own_but_absent, 404)


async def test_a_too_long_customer_id_is_a_422_problem(loyalty_client: AsyncClient) -> None:
    response = await loyalty_client.get(f"{CUSTOMERS}/{'C' * 65}", headers=as_role(Role.VIEWER))

    assert assert_problem(response, 422)["errors"]


def customer_ids(body: dict[str, Any]) -> list[str]:
    """The customer ids of a page, in order."""
    return [row["customer_id"] for row in body["data"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["C1", "C2", "C3", "C4", "C5"]),
        ({"segment": "loyal"}, ["C1", "C2"]),
        ({"tier": "bronze"}, ["C2", "C3", "C5"]),
        ({"tier": "gold", "segment": "champions"}, ["C4"]),
        ({"monetary_min": "150.50"}, ["C1", "C2", "C4"]),
        ({"sort": "-monetary"}, ["C4", "C1", "C2", "C3", "C5"]),
        # Nulls last ascending: C5 has never kept an order, so it has no recency.
        ({"sort": "recency_days"}, ["C3", "C4", "C1", "C2", "C5"]),
        ({"segment": "loyal", "sort": "-customer_id", "limit": 1}, ["C2"]),
        ({"segment": "cannot_lose"}, []),
    ],
)
async def test_the_summary_list_filters_sorts_and_pages(
    loyalty_client: AsyncClient, params: dict[str, str | int], expected: list[str]
) -> None:
    response = await loyalty_client.get(CUSTOMERS, params=params, headers=as_role(Role.VIEWER))
    body = page_of(response)

    assert customer_ids(body) == expected
    assert "recommendations" not in (body["data"][0] if body["data"] else {})


async def test_the_summary_list_counts_every_match_and_pages_it(
    loyalty_client: AsyncClient,
) -> None:
    response = await loyalty_client.get(
        CUSTOMERS, params={"limit": 2, "offset": 2}, headers=as_role(Role.CSR)
    )
    body = page_of(response)

    assert (body["count"], body["limit"], body["offset"]) == (5, 2, 2)
    assert customer_ids(body) == ["C3", "C4"]
    assert body["data"][1]["tier"] == "gold"
    assert body["data"][1]["monetary"] == "1200.00"


@pytest.mark.parametrize(
    "params",
    [
        {"segment": "vip"},
        {"tier": "diamond"},
        {"monetary_min": "-1"},
        {"monetary_min": "1e400"},
        {"sort": "favourite_category"},
        {"limit": 501},
    ],
)
async def test_bad_summary_list_queries_are_422_problems(
    loyalty_client: AsyncClient, params: dict[str, str | int]
) -> None:
    response = await loyalty_client.get(CUSTOMERS, params=params, headers=as_role(Role.VIEWER))

    assert assert_problem(response, 422)["errors"]


async def test_a_customer_lists_only_its_own_summary(loyalty_client: AsyncClient) -> None:
    own = page_of(await loyalty_client.get(CUSTOMERS, headers=as_role(Role.CUSTOMER, "C2")))
    someone_else = page_of(
        await loyalty_client.get(
            CUSTOMERS, params={"customer_id": "C1"}, headers=as_role(Role.CUSTOMER, "C2")
        )
    )

    assert (own["count"], customer_ids(own)) == (1, ["C2"])
    assert (someone_else["count"], someone_else["data"]) == (0, [])
