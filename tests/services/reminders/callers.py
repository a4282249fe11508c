"""Callers, sample bodies and small helpers shared by the reminders tests."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient, Response

from shared.identity import Role
from tests.services.conftest import identity_headers

CONFIGURATIONS = "/api/reminders/configurations"
OUTBOX = "/api/reminders/outbox"
CSR = "/api/reminders/csr"
EVENTS = "/api/reminders/events"
PROBLEM = "application/problem+json"

ALICE = "C0000001"
BOB = "C0000002"


def as_role(role: Role | None, sub: str = "tester", **extra: str) -> dict[str, str]:
    """Identity headers for `role` (none for anonymous) plus any extra headers."""
    return {**(identity_headers(role, sub) if role is not None else {}), **extra}


def as_customer(customer_id: str, **extra: str) -> dict[str, str]:
    """Identity headers of a customer, whose subject is their customer id."""
    return as_role(Role.CUSTOMER, customer_id, **extra)


def customer_preference(customer_id: str = ALICE, **overrides: Any) -> dict[str, Any]:
    """A valid customer-scope configuration body."""
    return {
        "scope": "customer",
        "customer_id": customer_id,
        "channel": "email",
        "cadence_days": 14,
        "quiet_hours_start": "21:30",
        "quiet_hours_end": "07:00",
        "timezone": "Europe/London",
        **overrides,
    }


def segment_preference(segment: str = "business", **overrides: Any) -> dict[str, Any]:
    """A valid segment-scope configuration body."""
    return {
        "scope": "segment",
        "segment": segment,
        "channel": "sms",
        "cadence_days": 7,
        **overrides,
    }


def csr_body(**overrides: Any) -> dict[str, Any]:
    """A valid CSR metadata body."""
    return {
        "name": "Lily Allen",
        "team": "tier1",
        "timezone": "Europe/London",
        "languages": ["en", "fr"],
        "badges": ["customer_favourite"],
        "notes": "Wholesale escalations.",
        "active": True,
        **overrides,
    }


async def create_configuration(client: AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    """Create a configuration as a CSR and insist it worked."""
    response = await client.post(CONFIGURATIONS, json=body, headers=as_role(Role.CSR))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def item(preference_id: str) -> str:
    """The URL of one configuration."""
    return f"{CONFIGURATIONS}/{preference_id}"


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    """The response is a problem document with `status`; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body
