"""A customer token sees and changes only that customer's own configurations and events."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from shared.identity import Role
from tests.services.reminders.callers import (
    ALICE,
    BOB,
    CONFIGURATIONS,
    EVENTS,
    as_customer,
    assert_problem,
    create_configuration,
    customer_preference,
    item,
    segment_preference,
)


@pytest.fixture
async def records(reminders_client: AsyncClient) -> dict[str, str]:
    """Two configurations of ALICE, one of BOB and one for a segment; name -> id."""
    bodies = {
        "alice_email": customer_preference(ALICE),
        "alice_sms": customer_preference(ALICE, channel="sms"),
        "bob_email": customer_preference(BOB),
        "segment": segment_preference(),
    }
    return {
        name: str((await create_configuration(reminders_client, body))["preference_id"])
        for name, body in bodies.items()
    }


async def test_a_customer_lists_only_their_own_configurations(
    reminders_client: AsyncClient, records: dict[str, str]
) -> None:
    own = await reminders_client.get(CONFIGURATIONS, headers=as_customer(ALICE))
    asking_for_bob = await reminders_client.get(
        CONFIGURATIONS, params={"customer_id": BOB}, headers=as_customer(ALICE)
    )
    segments = await reminders_client.get(
        CONFIGURATIONS, params={"scope": "segment"}, headers=as_customer(ALICE)
    )

    assert own.status_code == 200
    assert own.json()["count"] == 2
    assert {row["preference_id"] for row in own.json()["data"]} == {
        records["alice_email"],
        records["alice_sms"],
    }
    assert asking_for_bob.json() == {**asking_for_bob.json(), "data": [], "count": 0}
    assert segments.json()["count"] == 0


@pytest.mark.parametrize("target", ["bob_email", "segment"])
async def test_another_customers_or_a_segments_configuration_is_404_to_a_customer(
    reminders_client: AsyncClient, records: dict[str, str], db: Any, target: str
) -> None:
    url = item(records[target])
    before = await db.fetchrow(
        "SELECT * FROM reminders.reminder_preferences WHERE preference_id = $1", records[target]
    )
    headers = as_customer(ALICE, **{"If-Match": '"1"'})

    read = await reminders_client.get(url, headers=as_customer(ALICE))
    patched = await reminders_client.patch(url, json={"enabled": False}, headers=headers)
    deleted = await reminders_client.delete(url, headers=headers)
    missing = await reminders_client.get(item("no-such-id"), headers=as_customer(ALICE))

    for response in (read, patched, deleted):
        assert_problem(response, 404)
    # Indistinguishable from a configuration that does not exist at all.
    assert read.json()["detail"].replace(records[target], "X") == missing.json()["detail"].replace(
        "no-such-id", "X"
    )
    after = await db.fetchrow(
        "SELECT * FROM reminders.reminder_preferences WHERE preference_id = $1", records[target]
    )
    assert after == before


async def test_a_customer_manages_their_own_configuration(
    reminders_client: AsyncClient, records: dict[str, str]
) -> None:
    url = item(records["alice_email"])

    read = await reminders_client.get(url, headers=as_customer(ALICE))
    patched = await reminders_client.patch(
        url, json={"cadence_days": 45}, headers=as_customer(ALICE, **{"If-Match": '"1"'})
    )
    deleted = await reminders_client.delete(url, headers=as_customer(ALICE, **{"If-Match": '"2"'}))

    assert read.status_code == 200
    assert patched.status_code == 200
    assert patched.json()["cadence_days"] == 45
    assert deleted.status_code == 204


async def test_a_customer_creates_only_their_own_customer_scope_configuration(
    reminders_client: AsyncClient, records: dict[str, str], db: Any
) -> None:
    own = await reminders_client.post(
        CONFIGURATIONS, json=customer_preference(ALICE, channel="push"), headers=as_customer(ALICE)
    )
    for_bob = await reminders_client.post(
        CONFIGURATIONS, json=customer_preference(BOB, channel="push"), headers=as_customer(ALICE)
    )
    for_a_segment = await reminders_client.post(
        CONFIGURATIONS, json=segment_preference("consumer"), headers=as_customer(ALICE)
    )

    assert own.status_code == 201
    assert own.json()["customer_id"] == ALICE
    assert_problem(for_bob, 403)
    assert_problem(for_a_segment, 403)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM reminders.reminder_preferences WHERE channel = 'push'"
        )
        == 1
    )


async def test_a_customer_cannot_move_a_configuration_to_someone_else(
    reminders_client: AsyncClient, records: dict[str, str]
) -> None:
    response = await reminders_client.patch(
        item(records["alice_email"]),
        json={"customer_id": BOB},
        headers=as_customer(ALICE, **{"If-Match": '"1"'}),
    )

    # The target is not a changeable field at all.
    assert_problem(response, 422)


async def test_a_customer_logs_events_only_about_themselves(
    reminders_client: AsyncClient, db: Any
) -> None:
    implicit = await reminders_client.post(
        EVENTS, json={"event_type": "reminder.opened"}, headers=as_customer(ALICE)
    )
    explicit = await reminders_client.post(
        EVENTS,
        json={"event_type": "reminder.clicked", "customer_id": ALICE},
        headers=as_customer(ALICE),
    )
    about_bob = await reminders_client.post(
        EVENTS,
        json={"event_type": "reminder.opened", "customer_id": BOB},
        headers=as_customer(ALICE),
    )

    assert implicit.status_code == 201
    assert implicit.json()["customer_id"] == ALICE
    assert implicit.json()["actor_role"] == Role.CUSTOMER.value
    assert explicit.status_code == 201
    assert_problem(about_bob, 403)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM reminders.analytics_event_log WHERE customer_id = $1", BOB
        )
        == 0
    )
