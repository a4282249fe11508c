"""Who may use the pipeline API: admins only, for every operation (reads and actions).

Everyone else is refused before the operation runs: anonymous callers get 401, every other
role 403. An admin gets the operation's own answer (the actions answer 503 here: no Prefect
API is configured, which is what proves the admin got past authorization)."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from shared.identity import Role
from tests.services.admin.back_office import as_role

RUN = "00000000-0000-4000-8000-000000000000"
# (method, path, json body) -> an admin's status on an empty database
OPERATIONS: dict[str, tuple[str, str, dict[str, str] | None, int]] = {
    "list runs": ("GET", "/api/admin/pipeline/runs", None, 200),
    "get run": ("GET", f"/api/admin/pipeline/runs/{RUN}", None, 404),
    "list rejects": ("GET", "/api/admin/pipeline/rejects", None, 200),
    "list quarantine": ("GET", "/api/admin/pipeline/quarantine", None, 200),
    "list contracts": ("GET", "/api/admin/pipeline/contracts", None, 200),
    "mart freshness": ("GET", "/api/admin/pipeline/marts", None, 200),
    "replay rejects": ("POST", "/api/admin/pipeline/rejects/replay", {}, 409),
    "retry quarantined": ("POST", "/api/admin/pipeline/quarantine/1/retry", None, 404),
}
ROLES: tuple[Role | None, ...] = (None, *Role)


@pytest.mark.parametrize("operation", list(OPERATIONS))
async def test_only_admins_reach_the_pipeline_api(
    admin_client: AsyncClient, operation: str
) -> None:
    method, path, body, admin_status = OPERATIONS[operation]
    for role in ROLES:
        response = await admin_client.request(method, path, json=body, headers=as_role(role))
        expected = 401 if role is None else admin_status if role is Role.ADMIN else 403
        assert response.status_code == expected, (role, response.text)
        if expected >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_dashboard_is_for_staff_from_viewer_up(admin_client: AsyncClient) -> None:
    for role in ROLES:
        response = await admin_client.get("/api/admin/kpis/dashboard", headers=as_role(role))
        staff = role is not None and role is not Role.CUSTOMER
        expected = 200 if staff else 401 if role is None else 403
        assert response.status_code == expected, (role, response.text)
