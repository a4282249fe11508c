"""Who may do what in the reminders API: every role against every operation (DESIGN.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from httpx import AsyncClient, Response

from shared.identity import Role
from tests.services.reminders.callers import (
    ALICE,
    CONFIGURATIONS,
    CSR,
    EVENTS,
    OUTBOX,
    as_customer,
    as_role,
    create_configuration,
    csr_body,
    customer_preference,
    item,
)

# The customer in the matrix acts on their own records: ALICE's configuration.
Caller = Role | None
Operation = Callable[[AsyncClient, dict[str, str], str], Awaitable[Response]]


def headers_for(role: Caller, **extra: str) -> dict[str, str]:
    """Anonymous, ALICE as a customer, or a staff member."""
    if role is Role.CUSTOMER:
        return as_customer(ALICE, **extra)
    return as_role(role, **extra)


async def _list(client: AsyncClient, headers: dict[str, str], _key: str) -> Response:
    return await client.get(CONFIGURATIONS, headers=headers)


async def _get(client: AsyncClient, headers: dict[str, str], key: str) -> Response:
    return await client.get(item(key), headers=headers)


async def _create(client: AsyncClient, headers: dict[str, str], _key: str) -> Response:
    body = customer_preference(ALICE, channel="push")
    return await client.post(CONFIGURATIONS, json=body, headers=headers)


async def _update(client: AsyncClient, headers: dict[str, str], key: str) -> Response:
    return await client.patch(
        item(key), json={"cadence_days": 3}, headers={**headers, "If-Match": '"1"'}
    )


async def _delete(client: AsyncClient, headers: dict[str, str], key: str) -> Response:
    return await client.delete(item(key), headers={**headers, "If-Match": '"1"'})


async def _outbox(client: AsyncClient, headers: dict[str, str], _key: str) -> Response:
    return await client.get(OUTBOX, headers=headers)


async def _list_csrs(client: AsyncClient, headers: dict[str, str], _key: str) -> Response:
    return await client.get(CSR, headers=headers)


async def _get_csr(client: AsyncClient, headers: dict[str, str], _key: str) -> Response:
    return await client.get(f"{CSR}/CSR001", headers=headers)


async def _put_csr(client: AsyncClient, headers: dict[str, str], _key: str) -> Response:
    return await client.put(
        f"{CSR}/CSR001", json=csr_body(team="tier2"), headers={**headers, "If-Match": '"1"'}
    )


async def _log_event(client: AsyncClient, headers: dict[str, str], _key: str) -> Response:
    body = {"event_type": "reminder.opened", "customer_id": ALICE}
    return await client.post(EVENTS, json=body, headers=headers)


ALL = frozenset({Role.CUSTOMER, Role.VIEWER, Role.CSR, Role.EDITOR, Role.ADMIN})
STAFF = ALL - {Role.CUSTOMER}
CSR_UP = frozenset({Role.CSR, Role.EDITOR, Role.ADMIN})
# operation -> (roles allowed, status on success)
OPERATIONS: dict[str, tuple[Operation, frozenset[Role], int]] = {
    "list_configurations": (_list, ALL, 200),
    "get_configuration": (_get, ALL, 200),
    "create_configuration": (_create, ALL - {Role.VIEWER}, 201),
    "update_configuration": (_update, ALL - {Role.VIEWER}, 200),
    "delete_configuration": (_delete, ALL - {Role.VIEWER}, 204),
    "list_outbox": (_outbox, STAFF, 200),
    "list_csrs": (_list_csrs, STAFF, 200),
    "get_csr": (_get_csr, STAFF, 200),
    "put_csr": (_put_csr, CSR_UP, 200),
    "create_event": (_log_event, ALL - {Role.VIEWER}, 201),
}


def expected_status(role: Caller, allowed: frozenset[Role], success: int) -> int:
    """401 for anonymous callers, 403 for roles not allowed, else the operation's success."""
    if role is None:
        return 401
    return success if role in allowed else 403


async def _fresh_records(client: AsyncClient) -> str:
    """ALICE's configuration and CSR001, both at version 1; returns the configuration's id."""
    admin = as_role(Role.ADMIN)
    listed = await client.get(CONFIGURATIONS, headers=admin)
    for row in listed.json()["data"]:
        await client.delete(item(row["preference_id"]), headers={**admin, "If-Match": "*"})
    await client.put(f"{CSR}/CSR001", json=csr_body(), headers=admin)  # created when absent
    current = await client.get(f"{CSR}/CSR001", headers=admin)
    if current.json()["version"] != 1:
        await client.put(
            f"{CSR}/CSR001", json=csr_body(), headers={**admin, "If-Match": current.headers["etag"]}
        )
    created = await create_configuration(client, customer_preference(ALICE))
    return str(created["preference_id"])


@pytest.mark.parametrize(
    "role", [None, *Role], ids=lambda role: role.value if role is not None else "anonymous"
)
async def test_each_role_may_do_exactly_what_the_role_table_allows(
    reminders_client: AsyncClient, db: Any, role: Caller
) -> None:
    outcomes: dict[str, int] = {}
    for name, (operation, _allowed, _success) in OPERATIONS.items():
        # Fresh rows for every operation, so that earlier ones do not interfere.
        await db.execute("DELETE FROM reminders.csr_metadata")
        key = await _fresh_records(reminders_client)
        response = await operation(reminders_client, headers_for(role), key)
        outcomes[name] = response.status_code
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
    expected = {
        name: expected_status(role, allowed, success)
        for name, (_operation, allowed, success) in OPERATIONS.items()
    }
    assert outcomes == expected


async def test_refused_writes_change_nothing(reminders_client: AsyncClient, db: Any) -> None:
    key = await _fresh_records(reminders_client)
    before = await db.fetch("SELECT * FROM reminders.reminder_preferences ORDER BY 1")

    for role in (None, Role.VIEWER):
        for operation in (_create, _update, _delete):
            assert (await operation(reminders_client, headers_for(role), key)).status_code in {
                401,
                403,
            }
    refused_csr = await _put_csr(reminders_client, headers_for(Role.VIEWER), key)

    assert refused_csr.status_code == 403
    assert await db.fetch("SELECT * FROM reminders.reminder_preferences ORDER BY 1") == before
    assert await db.fetchval("SELECT team FROM reminders.csr_metadata") == "tier1"
