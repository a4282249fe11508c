"""POST /api/reminders/events: the analytics event log."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient

from services.reminders.entities.events import MAX_PAYLOAD_FIELDS
from shared.identity import Role
from tests.services.reminders.callers import ALICE, EVENTS, as_role, assert_problem


async def test_staff_log_an_event_about_any_customer_with_who_reported_it(
    reminders_client: AsyncClient, db: asyncpg.Connection
) -> None:
    response = await reminders_client.post(
        EVENTS,
        json={
            "event_type": "reminder.clicked",
            "customer_id": ALICE,
            "occurred_at": "2026-11-26T08:15:00Z",
            "payload": {"outbox_id": 17, "channel": "email"},
        },
        headers=as_role(Role.CSR, "agent-7"),
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] >= 1
    assert (body["actor_sub"], body["actor_role"]) == ("agent-7", "csr")
    assert body["occurred_at"] == "2026-11-26T08:15:00Z"
    stored = await db.fetchrow(
        "SELECT * FROM reminders.analytics_event_log WHERE id = $1", body["id"]
    )
    assert stored["customer_id"] == ALICE
    assert stored["payload"] == '{"channel": "email", "outbox_id": 17}'


async def test_an_event_without_a_time_or_customer_is_stamped_on_receipt(
    reminders_client: AsyncClient,
) -> None:
    response = await reminders_client.post(
        EVENTS, json={"event_type": "console.opened"}, headers=as_role(Role.CSR)
    )

    assert response.status_code == 201
    body = response.json()
    assert body["customer_id"] is None
    assert body["payload"] == {}
    assert body["occurred_at"] == body["received_at"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"event_type": "Reminder Opened"}, "event_type"),
        ({"event_type": ""}, "event_type"),
        ({}, "event_type"),
        ({"event_type": "reminder.opened", "occurred_at": "2026-11-26T08:15:00"}, "occurred_at"),
        ({"event_type": "reminder.opened", "payload": [1, 2]}, "payload"),
        ({"event_type": "reminder.opened", "payload": {"x": "y" * 201}}, "payload"),
        (
            {
                "event_type": "reminder.opened",
                "payload": {f"k{n}": n for n in range(MAX_PAYLOAD_FIELDS + 1)},
            },
            "payload",
        ),
        ({"event_type": "reminder.opened", "payload": {"nested": {"a": 1}}}, "payload"),
        ({"event_type": "reminder.opened", "payload": {"nul": "a\u0000b"}}, "payload"),
        ({"event_type": "reminder.opened", "actor_sub": "someone-else"}, "actor_sub"),
    ],
)
async def test_invalid_events_are_422_problems(
    reminders_client: AsyncClient, body: dict[str, Any], fragment: str
) -> None:
    response = await reminders_client.post(EVENTS, json=body, headers=as_role(Role.CSR))

    assert fragment in str(assert_problem(response, 422)["errors"])


async def test_anonymous_callers_cannot_log_events(reminders_client: AsyncClient) -> None:
    response = await reminders_client.post(EVENTS, json={"event_type": "reminder.opened"})

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
