"""GET /api/loyalty/recommendations: exact rows, filters, sorting, pages, bad queries, and a
customer caller limited to its own rows (another customer's filter gives an empty page)."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from shared.identity import Role
from tests.services.loyalty.marts import RECOMMENDATIONS
from tests.services.responses import as_role, assert_problem, page_of

pytestmark = pytest.mark.usefixtures("shop")


def keys(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(customer_id, product_id) of each row, in order."""
    return [(row["customer_id"], row["product_id"]) for row in body["data"]]


async def test_viewer_reads_every_row_by_customer_then_rank(loyalty_client: AsyncClient) -> None:
    body = page_of(await loyalty_client.get(RECOMMENDATIONS, headers=as_role(Role.VIEWER)))

    assert (body["count"], body["limit"], body["offset"]) == (6, 50, 0)
    assert keys(body) == [("C1", "P2"), ("C1", "P3"), ("C1", "P4"), ("C2", "P2"), ("C2", "P4"),
                          ("C3", "P4")]  # fmt: skip
    assert body["data"][0] == {
        "customer_id": "C1",
        "product_id": "P2",
        "rank": 1,
        "segment": "loyal",
        "product_name": "Grinder",
        "score": "0.6667",
        "basis": "co_purchase",
        "anchor_product_id": "P1",
        "reason": "Bought by 67% of loyal customers who bought Beans",
        "discount_tier": "loyal_10",
        "discount_percent": 10,
        "reminder_cadence_days": 36,
        "channel": "email",
        "next_best_action": "cross_sell",
        "status": "new",
        "as_of_date": "2026-11-26",
        "refreshed_at": "2026-11-27T06:00:00Z",
    }
    assert body["data"][2]["anchor_product_id"] is None  # a popularity fallback


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"customer_id": "C2"}, [("C2", "P2"), ("C2", "P4")]),
        ({"segment": "new"}, [("C3", "P4")]),
        ({"status": "queued"}, [("C2", "P2")]),
        ({"status": "notified"}, [("C2", "P4")]),
        ({"product_id": "P4"}, [("C1", "P4"), ("C2", "P4"), ("C3", "P4")]),
        ({"next_best_action": "replenish_reminder"}, [("C2", "P2"), ("C2", "P4")]),
        ({"channel": "push"}, [("C3", "P4")]),
        ({"basis": "segment_popularity"}, [("C1", "P4"), ("C2", "P4"), ("C3", "P4")]),
        ({"discount_tier": "none"}, [("C3", "P4")]),
        ({"score_min": "0.5"}, [("C1", "P2"), ("C1", "P3"), ("C2", "P2")]),
        ({"segment": "loyal", "product_id": "P2", "channel": "sms"}, [("C2", "P2")]),
        ({"segment": "champions"}, []),
        ({"sort": "-score"}, [("C1", "P2"), ("C1", "P3"), ("C2", "P2"), ("C3", "P4"),
                              ("C1", "P4"), ("C2", "P4")]),
        ({"sort": "rank,-customer_id"}, [("C3", "P4"), ("C2", "P2"), ("C1", "P2"),
                                         ("C2", "P4"), ("C1", "P3"), ("C1", "P4")]),
        # Ties broken by the whole key: customer, then product.
        ({"sort": "status"}, [("C1", "P2"), ("C1", "P3"), ("C1", "P4"), ("C3", "P4"),
                              ("C2", "P4"), ("C2", "P2")]),
    ],
)  # fmt: skip
async def test_filters_and_sorting_select_and_order_the_rows(
    loyalty_client: AsyncClient, params: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    response = await loyalty_client.get(RECOMMENDATIONS, params=params, headers=as_role(Role.CSR))
    body = page_of(response)

    assert keys(body) == expected
    assert body["count"] == len(expected)


async def test_pages_carry_the_total_of_all_matching_rows(loyalty_client: AsyncClient) -> None:
    response = await loyalty_client.get(
        RECOMMENDATIONS, params={"limit": 2, "offset": 3}, headers=as_role(Role.VIEWER)
    )
    body = page_of(response)

    assert (body["count"], body["limit"], body["offset"]) == (6, 2, 3)
    assert keys(body) == [("C2", "P2"), ("C2", "P4")]


@pytest.mark.parametrize(
    "params",
    [
        {"segment": "vip"},
        {"status": "sent"},
        {"channel": "fax"},
        {"next_best_action": "upsell"},
        {"score_min": "1.5"},
        {"sort": "reason"},
        {"sort": "rank;drop table"},
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
        {"customer_id": "C" * 65},
    ],
)
async def test_bad_queries_are_422_problems(
    loyalty_client: AsyncClient, params: dict[str, str | int]
) -> None:
    response = await loyalty_client.get(
        RECOMMENDATIONS, params=params, headers=as_role(Role.VIEWER)
    )

    assert assert_problem(response, 422)["errors"]


async def test_a_customer_reads_only_its_own_recommendations(loyalty_client: AsyncClient) -> None:
    own = page_of(await loyalty_client.get(RECOMMENDATIONS, headers=as_role(Role.CUSTOMER, "C2")))
    filtered_for_c1 = page_of(
        await loyalty_client.get(
            RECOMMENDATIONS, params={"customer_id": "C1"}, headers=as_role(Role.CUSTOMER, "C2")
        )
    )
    popular = page_of(
        await loyalty_client.get(
            RECOMMENDATIONS, params={"product_id": "P4"}, headers=as_role(Role.CUSTOMER, "C2")
        )
    )
    without_rows = page_of(
        await loyalty_client.get(RECOMMENDATIONS, headers=as_role(Role.CUSTOMER, "C4"))
    )

    assert (own["count"], keys(own)) == (2, [("C2", "P2"), ("C2", "P4")])
    # Asking for someone else's rows is an empty page, not an error: nothing is revealed.
    assert (filtered_for_c1["count"], filtered_for_c1["data"]) == (0, [])
    assert keys(popular) == [("C2", "P4")]
    assert (without_rows["count"], without_rows["data"]) == (0, [])
