"""GET /api/loyalty/customers/{customer_id}: the summary row with its ranked recommendations; 404
for an unknown customer; a customer may read only itself (403 otherwise)."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from shared.identity import Role
from tests.services.loyalty.marts import CUSTOMERS
from tests.services.responses import as_role, assert_problem

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
