"""Who may do what in the loyalty API: every role and anonymous against every operation.

Viewers and up read every mart view (DESIGN.md). A customer reads its own recommendations and
its own summary only: the list is limited to its rows (tests/services/loyalty/
test_recommendations.py), another customer's summary is 403; segments and bundles describe
other customers in aggregate and are staff-only.
"""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from shared.identity import Role
from tests.services.loyalty.marts import BUNDLES, CUSTOMERS, RECOMMENDATIONS, SEGMENTS
from tests.services.responses import as_role

Caller = Role | None
STAFF = frozenset({Role.VIEWER, Role.CSR, Role.EDITOR, Role.ADMIN})
CALLER_ID = "C1"
# operation id -> (URL, roles allowed); the caller's subject is CALLER_ID.
OPERATIONS: dict[str, tuple[str, frozenset[Role]]] = {
    "loyalty_list_recommendations": (RECOMMENDATIONS, STAFF | {Role.CUSTOMER}),
    "loyalty_list_customers": (CUSTOMERS, STAFF | {Role.CUSTOMER}),
    "loyalty_get_customer": (f"{CUSTOMERS}/{CALLER_ID}", STAFF | {Role.CUSTOMER}),
    "loyalty_list_segments": (SEGMENTS, STAFF),
    "loyalty_list_bundles": (BUNDLES, STAFF),
}


def expected_status(role: Caller, allowed: frozenset[Role]) -> int:
    """401 for anonymous callers, 403 for roles not allowed, else 200."""
    if role is None:
        return 401
    return 200 if role in allowed else 403


@pytest.mark.usefixtures("shop")
@pytest.mark.parametrize(
    "role", [None, *Role], ids=lambda role: role.value if role is not None else "anonymous"
)
async def test_each_role_may_do_exactly_what_the_role_table_allows(
    loyalty_client: AsyncClient, role: Caller
) -> None:
    outcomes: dict[str, int] = {}
    for operation_id, (url, _allowed) in OPERATIONS.items():
        response = await loyalty_client.get(url, headers=as_role(role, CALLER_ID))
        outcomes[operation_id] = response.status_code
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
    expected = {
        operation_id: expected_status(role, allowed)
        for operation_id, (_url, allowed) in OPERATIONS.items()
    }
    assert outcomes == expected


@pytest.mark.usefixtures("shop")
async def test_a_customer_token_cannot_read_another_customers_records(
    loyalty_client: AsyncClient,
) -> None:
    c2 = as_role(Role.CUSTOMER, "C2")
    listed = (await loyalty_client.get(RECOMMENDATIONS, params={"limit": 500}, headers=c2)).json()
    for_c1 = (
        await loyalty_client.get(RECOMMENDATIONS, params={"customer_id": "C1"}, headers=c2)
    ).json()
    summary_of_c1 = await loyalty_client.get(f"{CUSTOMERS}/C1", headers=c2)

    assert {row["customer_id"] for row in listed["data"]} == {"C2"}
    assert for_c1["count"] == 0
    assert summary_of_c1.status_code == 403


async def test_the_matrix_covers_every_operation_of_the_service(
    loyalty_client: AsyncClient,
) -> None:
    spec = (await loyalty_client.get("/openapi.json")).json()
    operation_ids = {
        operation["operationId"]
        for path in spec["paths"].values()
        for operation in path.values()
        if operation["tags"] != ["operations"]
    }

    assert operation_ids == set(OPERATIONS)


async def test_identity_headers_a_client_invents_are_ignored(loyalty_client: AsyncClient) -> None:
    response = await loyalty_client.get(
        RECOMMENDATIONS, headers={"x-admin-role": "admin", "x-ecom-identity": "forged"}
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
