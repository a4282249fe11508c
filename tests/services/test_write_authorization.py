"""Every write route of every service, against every role (DESIGN.md's identity table):
viewers only read; csr and up manage reminder configurations, CSR metadata and events; editors
write admin records; admins delete them; a customer writes only their own records."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response

from services.admin.app import create_app as create_admin_app
from services.admin.settings import AdminSettings
from services.loyalty.app import create_app as create_loyalty_app
from services.loyalty.settings import LoyaltySettings
from services.reminders.app import create_app as create_reminders_app
from services.reminders.settings import ReminderSettings
from services.transparency.app import create_app as create_transparency_app
from services.transparency.settings import TransparencySettings
from shared.identity import Role
from tests.conftest import TestDatabase
from tests.services.admin.back_office import CUSTOMERS, ORDERS, PRODUCTS, Entity
from tests.services.conftest import client_for, settings_for_service
from tests.services.reminders.callers import (
    ALICE,
    CONFIGURATIONS,
    CSR,
    EVENTS,
    as_customer,
    as_role,
    csr_body,
    customer_preference,
    item,
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Caller = Role | None
# A write as one caller: the client of its service, the caller's headers and the record's key.
Write = Callable[[AsyncClient, dict[str, str], str], Awaitable[Response]]
# Arranges the record a write acts on (from a fresh key) and returns the record's key.
Arrange = Callable[[AsyncClient, str], Awaitable[str]]
CSR_UP = frozenset({Role.CSR, Role.EDITOR, Role.ADMIN})
EDITOR_UP = frozenset({Role.EDITOR, Role.ADMIN})
ADMIN_ONLY = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class WriteRoute:
    """Who may call one write route, and how to call it on a record arranged for it."""

    service: str
    allowed: frozenset[Role]  # customers, when allowed, act on their own records
    success: int
    arrange: Arrange
    write: Write

    def expected(self, role: Caller) -> int:
        """401 for anonymous callers, 403 for roles not allowed, else the success status."""
        if role is None:
            return 401
        return self.success if role in self.allowed else 403


async def _nothing(_client: AsyncClient, key: str) -> str:
    return key


def _admin_arrange(entity: Entity) -> Arrange:
    async def arrange(client: AsyncClient, key: str) -> str:
        body = entity.payload(key)
        created = await client.post(entity.url, json=body, headers=as_role(Role.ADMIN))
        assert created.status_code == 201, created.text
        return key

    return arrange


def _admin_routes(entity: Entity) -> dict[tuple[str, str], WriteRoute]:
    path = f"{entity.url}/{{{entity.key}}}"

    async def create(client: AsyncClient, headers: dict[str, str], key: str) -> Response:
        return await client.post(entity.url, json=entity.payload(f"new-{key}"), headers=headers)

    async def update(client: AsyncClient, headers: dict[str, str], key: str) -> Response:
        return await client.patch(
            entity.item_url(key), json=entity.change, headers={**headers, "If-Match": '"1"'}
        )

    async def delete(client: AsyncClient, headers: dict[str, str], key: str) -> Response:
        return await client.delete(entity.item_url(key), headers={**headers, "If-Match": '"1"'})

    arrange = _admin_arrange(entity)
    return {
        ("POST", entity.url): WriteRoute("admin", EDITOR_UP, 201, _nothing, create),
        ("PATCH", path): WriteRoute("admin", EDITOR_UP, 200, arrange, update),
        ("DELETE", path): WriteRoute("admin", ADMIN_ONLY, 204, arrange, delete),
    }


async def _alice_configuration(client: AsyncClient, _key: str) -> str:
    # ALICE's email configuration at version 1, alone (so that creating her push one is new).
    admin = as_role(Role.ADMIN)
    for row in (await client.get(CONFIGURATIONS, headers=admin)).json()["data"]:
        await client.delete(item(row["preference_id"]), headers={**admin, "If-Match": "*"})
    created = await client.post(
        CONFIGURATIONS, json=customer_preference(ALICE), headers=as_role(Role.CSR)
    )
    assert created.status_code == 201, created.text
    return str(created.json()["preference_id"])


async def _create_configuration(
    client: AsyncClient, headers: dict[str, str], _key: str
) -> Response:
    return await client.post(
        CONFIGURATIONS, json=customer_preference(ALICE, channel="push"), headers=headers
    )


async def _update_configuration(client: AsyncClient, headers: dict[str, str], key: str) -> Response:
    return await client.patch(
        item(key), json={"cadence_days": 3}, headers={**headers, "If-Match": '"1"'}
    )


async def _delete_configuration(client: AsyncClient, headers: dict[str, str], key: str) -> Response:
    return await client.delete(item(key), headers={**headers, "If-Match": '"1"'})


async def _put_csr(client: AsyncClient, headers: dict[str, str], key: str) -> Response:
    return await client.put(f"{CSR}/CSR-{key}", json=csr_body(), headers=headers)


async def _replay_rejects(client: AsyncClient, headers: dict[str, str], _key: str) -> Response:
    return await client.post(
        f"{PIPELINE}/rejects/replay", json={"entity": "orders"}, headers=headers
    )


async def _retry_quarantined(client: AsyncClient, headers: dict[str, str], _key: str) -> Response:
    return await client.post(f"{PIPELINE}/quarantine/999999/retry", headers=headers)


async def _post_event(client: AsyncClient, headers: dict[str, str], _key: str) -> Response:
    body = {"event_type": "reminder.opened", "customer_id": ALICE}
    return await client.post(EVENTS, json=body, headers=headers)


PIPELINE = "/api/admin/pipeline"
CONFIGURATION = f"{CONFIGURATIONS}/{{preference_id}}"
WRITE_ROUTES: dict[tuple[str, str], WriteRoute] = {
    **_admin_routes(PRODUCTS),
    **_admin_routes(CUSTOMERS),
    **_admin_routes(ORDERS),
    ("POST", CONFIGURATIONS): WriteRoute(
        "reminders", CSR_UP | {Role.CUSTOMER}, 201, _alice_configuration, _create_configuration
    ),
    ("PATCH", CONFIGURATION): WriteRoute(
        "reminders", CSR_UP | {Role.CUSTOMER}, 200, _alice_configuration, _update_configuration
    ),
    ("DELETE", CONFIGURATION): WriteRoute(
        "reminders", CSR_UP | {Role.CUSTOMER}, 204, _alice_configuration, _delete_configuration
    ),
    ("PUT", f"{CSR}/{{csr_id}}"): WriteRoute("reminders", CSR_UP, 201, _nothing, _put_csr),
    # Pipeline actions are the admin's alone; past authorization, an empty pipeline has no rejects
    # to replay (409) and no such quarantined file (404).
    ("POST", f"{PIPELINE}/rejects/replay"): WriteRoute(
        "admin", frozenset({Role.ADMIN}), 409, _nothing, _replay_rejects
    ),
    ("POST", f"{PIPELINE}/quarantine/{{quarantine_id}}/retry"): WriteRoute(
        "admin", frozenset({Role.ADMIN}), 404, _nothing, _retry_quarantined
    ),
    # A viewer only reads: it may not report events, about ALICE or anyone.
    ("POST", EVENTS): WriteRoute("reminders", CSR_UP | {Role.CUSTOMER}, 201, _nothing, _post_event),
}


@pytest.fixture
async def clients(database: TestDatabase, tmp_path: Path) -> AsyncIterator[dict[str, AsyncClient]]:
    """A client per service with writes, all on this test's database."""
    admin = create_admin_app(settings_for_service(AdminSettings, database, tmp_path))
    reminders = create_reminders_app(settings_for_service(ReminderSettings, database, tmp_path))
    async for admin_client in client_for(admin):
        async for reminders_client in client_for(reminders):
            yield {"admin": admin_client, "reminders": reminders_client}


def write_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every write operation `app` serves, as its OpenAPI document lists them."""
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method.upper() in WRITE_METHODS
    }


def test_the_matrix_covers_every_write_route_of_every_service(
    database: TestDatabase, tmp_path: Path
) -> None:
    apps = [
        create_admin_app(settings_for_service(AdminSettings, database, tmp_path)),
        create_reminders_app(settings_for_service(ReminderSettings, database, tmp_path)),
        create_loyalty_app(settings_for_service(LoyaltySettings, database, tmp_path)),
        create_transparency_app(settings_for_service(TransparencySettings, database, tmp_path)),
    ]

    served = set().union(*(write_routes(app) for app in apps))

    assert served == set(WRITE_ROUTES)


@pytest.mark.parametrize(
    "role", [None, *Role], ids=lambda role: role.value if role is not None else "anonymous"
)
async def test_each_role_may_write_exactly_what_the_role_table_allows(
    clients: dict[str, AsyncClient], role: Caller
) -> None:
    headers = as_customer(ALICE) if role is Role.CUSTOMER else as_role(role)
    outcomes: dict[tuple[str, str], int] = {}
    for number, (name, route) in enumerate(WRITE_ROUTES.items()):
        client = clients[route.service]
        key = await route.arrange(client, f"K{number}")
        response = await route.write(client, headers, key)
        outcomes[name] = response.status_code
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"

    assert outcomes == {name: route.expected(role) for name, route in WRITE_ROUTES.items()}
