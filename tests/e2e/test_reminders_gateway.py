"""The reminders service behind the gateway, over sockets: bearer tokens in, assertions out."""

from __future__ import annotations

import httpx

from deploy.seed import seed_reminders
from shared.identity import ASSERTION_HEADER, Role
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.e2e.conftest import bearer

CONFIGURATIONS = "/api/reminders/configurations"


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
