"""Who may do what in the transparency API: every role and anonymous against every operation.

Reading the marts is for viewer and up (DESIGN.md); exporting is for editor and up (DESIGN.md's
role table and the export guidance of docs/trust_metrics.md). Customers see none of it.
"""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from shared.identity import Role
from tests.services.responses import PROBLEM, as_role
from tests.services.transparency.marts import BADGES, METRICS, METRICS_EXPORT, SCORES, SNAPSHOTS

Caller = Role | None
STAFF = frozenset({Role.VIEWER, Role.CSR, Role.EDITOR, Role.ADMIN})
EDITOR_UP = frozenset({Role.EDITOR, Role.ADMIN})
# operation id -> (URL, roles allowed)
OPERATIONS: dict[str, tuple[str, frozenset[Role]]] = {
    "transparency_list_trust_scores": (SCORES, STAFF),
    "transparency_list_logistics_snapshots": (SNAPSHOTS, STAFF),
    "transparency_list_badges": (BADGES, STAFF),
    "transparency_get_trust_metrics": (METRICS, STAFF),
    "transparency_export_trust_metrics": (METRICS_EXPORT, EDITOR_UP),
}


def expected_status(role: Caller, allowed: frozenset[Role]) -> int:
    """401 for anonymous callers, 403 for roles not allowed, else 200."""
    if role is None:
        return 401
    return 200 if role in allowed else 403


@pytest.mark.parametrize(
    "role", [None, *Role], ids=lambda role: role.value if role is not None else "anonymous"
)
async def test_each_role_may_do_exactly_what_the_role_table_allows(
    transparency_client: AsyncClient, role: Caller
) -> None:
    outcomes: dict[str, int] = {}
    for operation_id, (url, _allowed) in OPERATIONS.items():
        response = await transparency_client.get(url, headers=as_role(role, "C0000001"))
        outcomes[operation_id] = response.status_code
        if response.status_code >= 400:
            assert response.headers["content-type"] == PROBLEM
    expected = {
        operation_id: expected_status(role, allowed)
        for operation_id, (_url, allowed) in OPERATIONS.items()
    }
    assert outcomes == expected


async def test_the_matrix_covers_every_operation_of_the_service(
    transparency_client: AsyncClient,
) -> None:
    spec = (await transparency_client.get("/openapi.json")).json()
    operation_ids = {
        operation["operationId"]
        for path in spec["paths"].values()
        for operation in path.values()
        if operation["tags"] != ["operations"]
    }

    assert operation_ids == set(OPERATIONS)


async def test_identity_headers_a_client_invents_are_ignored(
    transparency_client: AsyncClient,
) -> None:
    response = await transparency_client.get(
        SCORES, headers={"x-admin-role": "admin", "x-ecom-identity": "forged"}
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
