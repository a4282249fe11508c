"""Who may do what on the back office: every role against every operation (DESIGN.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from httpx import AsyncClient, Response

from shared.identity import Role
from tests.services.admin.back_office import ENTITIES, Entity, as_role, create

Operation = Callable[[AsyncClient, Entity, Role | None], Awaitable[Response]]
ROLES: tuple[Role | None, ...] = (None, *Role)


def _label(role: Role | None) -> str:
    return role.value if role is not None else "anonymous"


async def _list(client: AsyncClient, entity: Entity, role: Role | None) -> Response:
    return await client.get(entity.url, headers=as_role(role))


async def _get(client: AsyncClient, entity: Entity, role: Role | None) -> Response:
    return await client.get(entity.item_url("K-1"), headers=as_role(role))


async def _create(client: AsyncClient, entity: Entity, role: Role | None) -> Response:
    return await client.post(entity.url, json=entity.payload("K-2"), headers=as_role(role))


async def _update(client: AsyncClient, entity: Entity, role: Role | None) -> Response:
    return await client.patch(
        entity.item_url("K-1"), json=entity.change, headers=as_role(role, **{"If-Match": '"1"'})
    )


async def _delete(client: AsyncClient, entity: Entity, role: Role | None) -> Response:
    return await client.delete(entity.item_url("K-1"), headers=as_role(role, **{"If-Match": "*"}))


async def _export_csv(client: AsyncClient, entity: Entity, role: Role | None) -> Response:
    return await client.get(f"{entity.url}/export/csv", headers=as_role(role))


async def _export_xlsx(client: AsyncClient, entity: Entity, role: Role | None) -> Response:
    return await client.get(f"{entity.url}/export/xlsx", headers=as_role(role))


async def _audit(client: AsyncClient, entity: Entity, role: Role | None) -> Response:
    return await client.get(
        "/api/admin/audit", params={"entity": entity.noun}, headers=as_role(role)
    )


# operation -> (least role, status on success)
OPERATIONS: dict[str, tuple[Operation, Role, int]] = {
    "list": (_list, Role.VIEWER, 200),
    "get": (_get, Role.VIEWER, 200),
    "create": (_create, Role.EDITOR, 201),
    "update": (_update, Role.EDITOR, 200),
    "export_csv": (_export_csv, Role.EDITOR, 200),
    "export_xlsx": (_export_xlsx, Role.EDITOR, 200),
    "delete": (_delete, Role.ADMIN, 204),
    "audit": (_audit, Role.ADMIN, 200),
}
STAFF = (Role.VIEWER, Role.CSR, Role.EDITOR, Role.ADMIN)


def expected_status(role: Role | None, least: Role, success: int) -> int:
    """401 for anonymous callers, 403 below the least role, else the operation's success."""
    if role is None:
        return 401
    if role is Role.CUSTOMER or STAFF.index(role) < STAFF.index(least):
        return 403
    return success


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda entity: entity.plural)
@pytest.mark.parametrize("role", ROLES, ids=_label)
async def test_each_role_may_do_exactly_what_the_role_table_allows(
    admin_client: AsyncClient, entity: Entity, role: Role | None
) -> None:
    outcomes: dict[str, int] = {}
    for name, (operation, _least, _success) in OPERATIONS.items():
        # A fresh row at version 1 for every operation, so that earlier ones do not interfere.
        existing = await admin_client.get(entity.item_url("K-1"), headers=as_role(Role.ADMIN))
        if existing.status_code == 200:
            await admin_client.delete(
                entity.item_url("K-1"), headers=as_role(Role.ADMIN, **{"If-Match": "*"})
            )
        await create(admin_client, entity, "K-1")
        response = await operation(admin_client, entity, role)
        outcomes[name] = response.status_code
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
    expected = {
        name: expected_status(role, least, success)
        for name, (_operation, least, success) in OPERATIONS.items()
    }
    assert outcomes == expected


async def test_refused_writes_change_nothing_and_leave_no_audit(
    admin_client: AsyncClient,
) -> None:
    entity = ENTITIES[0]
    await create(admin_client, entity, "K-1")
    for role in (None, Role.CUSTOMER, Role.VIEWER, Role.CSR):
        assert (await _update(admin_client, entity, role)).status_code in {401, 403}
        assert (await _create(admin_client, entity, role)).status_code in {401, 403}
    for role in (Role.EDITOR,):
        assert (await _delete(admin_client, entity, role)).status_code == 403
    audit = await admin_client.get("/api/admin/audit", headers=as_role(Role.ADMIN))
    assert audit.json()["count"] == 1  # only the admin's create
