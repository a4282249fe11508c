"""GET /api/reminders/outbox: filters, paging and the pipeline role's rights on the outbox."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient

from shared.database import asyncpg_dsn
from shared.identity import Role
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.services.reminders.callers import ALICE, BOB, OUTBOX, as_role, assert_problem

INSERT = (
    "INSERT INTO reminders.notification_outbox"
    " (customer_id, product_id, channel, cadence_window, status, sent_at, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7::text::timestamptz)"
)


@pytest.fixture
async def queued(db: asyncpg.Connection) -> None:
    """Four messages: ALICE pending and sent, BOB pending and failed."""
    await db.executemany(
        INSERT,
        [
            (ALICE, "P0001", "email", "2026-11-01/14d", "pending", None, "2026-11-20T08:00Z"),
            (ALICE, "P0002", "sms", "2026-11-01/14d", "sent", None, "2026-11-21T08:00Z"),
            (BOB, "P0001", "push", "2026-11-01/7d", "pending", None, "2026-11-22T08:00Z"),
            (BOB, "P0003", "email", "2026-11-01/7d", "failed", None, "2026-11-23T08:00Z"),
        ],
    )


async def _list(client: AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(OUTBOX, params=params, headers=as_role(Role.VIEWER))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.usefixtures("queued")
async def test_outbox_lists_newest_first_and_filters_by_status_and_customer(
    reminders_client: AsyncClient,
) -> None:
    everything = await _list(reminders_client)
    pending = await _list(reminders_client, status="pending")
    alice = await _list(reminders_client, customer_id=ALICE)
    alice_pending = await _list(reminders_client, customer_id=ALICE, status="pending")
    page = await _list(reminders_client, limit=1, offset=1, sort="created_at")

    assert everything["count"] == 4
    assert [row["product_id"] for row in everything["data"]] == ["P0003", "P0001", "P0002", "P0001"]
    assert {row["customer_id"] for row in pending["data"]} == {ALICE, BOB}
    assert pending["count"] == 2
    assert alice["count"] == 2
    assert [row["channel"] for row in alice_pending["data"]] == ["email"]
    assert page["count"] == 4
    assert [row["product_id"] for row in page["data"]] == ["P0002"]
    assert everything["data"][0]["payload"] == {}
    assert everything["data"][0]["attempts"] == 0


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"status": "lost"}, "not valid"),
        ({"sort": "payload"}, "not valid"),
        ({"created_at_from": "yesterday"}, "not valid"),
    ],
)
async def test_bad_outbox_queries_are_422_problems(
    reminders_client: AsyncClient, params: dict[str, Any], fragment: str
) -> None:
    response = await reminders_client.get(OUTBOX, params=params, headers=as_role(Role.VIEWER))

    assert fragment in assert_problem(response, 422)["detail"]


async def test_the_pipeline_role_queues_and_updates_but_cannot_delete_outbox_messages(
    database: TestDatabase,
) -> None:
    flows = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        await flows.execute(
            INSERT, ALICE, "P1", "email", "w1", "pending", None, "2026-11-20T08:00Z"
        )
        await flows.execute(
            "UPDATE reminders.notification_outbox SET status = 'sent', attempts = 1,"
            " sent_at = now() WHERE customer_id = $1",
            ALICE,
        )
        assert await flows.fetchval("SELECT status FROM reminders.notification_outbox") == "sent"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await flows.execute("DELETE FROM reminders.notification_outbox")
        # The pipeline reads preferences (cadences, quiet hours, opt-outs) but never edits them.
        assert await flows.fetch("SELECT * FROM reminders.reminder_preferences") == []
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await flows.execute("UPDATE reminders.reminder_preferences SET enabled = false")
    finally:
        await flows.close()


async def test_one_reminder_per_customer_product_and_cadence_window(
    db: asyncpg.Connection,
) -> None:
    await db.execute(INSERT, ALICE, "P1", "email", "w1", "pending", None, "2026-11-20T08:00Z")

    with pytest.raises(asyncpg.UniqueViolationError):
        await db.execute(INSERT, ALICE, "P1", "sms", "w1", "pending", None, "2026-11-20T09:00Z")
