"""The reminders service behind the gateway, over sockets: bearer tokens in, assertions out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from services.reminders.app import create_app as create_reminders
from services.reminders.seed import seed_reminders
from services.reminders.settings import ReminderSettings
from shared.identity import ASSERTION_HEADER, Role, issue_token
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.servers import ThreadedServers

JWT_SECRET = "e2e-jwt-secret-long-enough-for-hs256-0000"
INTERNAL_SECRET = "e2e-internal-secret-long-enough-for-hs256"
CONFIGURATIONS = "/api/reminders/configurations"


@pytest.fixture
def gateway_url(database: TestDatabase, tmp_path: Path) -> Iterator[str]:
    servers = ThreadedServers()
    reminders = create_reminders(
        ReminderSettings(
            _env_file=None,
            data_dir=tmp_path,
            database_url=database.role_url(Owner.REMINDERS),
            internal_secret=INTERNAL_SECRET,
        )
    )
    reminders_url = servers.start(reminders)
    gateway = create_gateway(
        GatewaySettings(
            _env_file=None,
            data_dir=tmp_path,
            jwt_secret=SecretStr(JWT_SECRET),
            internal_secret=SecretStr(INTERNAL_SECRET),
            reminders_service_url=reminders_url,
        )
    )
    try:
        yield servers.start(gateway)
    finally:
        servers.stop_all()


def bearer(role: Role, sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(JWT_SECRET, role, sub)}"}


async def test_reminders_are_served_through_the_gateway_with_the_callers_identity(
    database: TestDatabase, gateway_url: str
) -> None:
    await seed_reminders(database.role_url(Owner.REMINDERS))

    async with httpx.AsyncClient(base_url=gateway_url) as client:
        staff = await client.get(CONFIGURATIONS, headers=bearer(Role.CSR, "agent-1"))
        own = await client.get(CONFIGURATIONS, headers=bearer(Role.CUSTOMER, "C0000002"))
        created = await client.post(
            CONFIGURATIONS,
            json={
                "scope": "customer",
                "customer_id": "C0009999",
                "channel": "push",
                "cadence_days": 10,
            },
            headers=bearer(Role.CUSTOMER, "C0009999"),
        )
        event = await client.post(
            "/api/reminders/events",
            json={"event_type": "reminder.opened"},
            headers=bearer(Role.CUSTOMER, "C0009999"),
        )
        anonymous = await client.get(CONFIGURATIONS)
        forged = await client.get(
            CONFIGURATIONS, headers={ASSERTION_HEADER: "forged", "x-admin-role": "admin"}
        )
        merged = await client.get("/api/openapi.json")

    assert staff.status_code == 200, staff.text
    assert staff.json()["count"] > 250
    assert own.status_code == 200
    assert {row["customer_id"] for row in own.json()["data"]} == {"C0000002"}
    assert created.status_code == 201, created.text
    assert created.headers["location"].startswith(CONFIGURATIONS + "/")
    assert event.status_code == 201
    assert (event.json()["customer_id"], event.json()["actor_sub"]) == ("C0009999", "C0009999")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert forged.status_code == 401
    operations = {
        operation.get("operationId")
        for path in merged.json()["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict)
    }
    assert {"reminders_list_configurations", "reminders_put_csr"} <= operations
