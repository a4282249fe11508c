"""Reminder configuration and CSR metadata changes land in an append-only audit log, with the
actor and the record before and after, atomically with the change; admins read it."""

from __future__ import annotations

import json
from typing import Any, get_args

import asyncpg
import pytest
from httpx import AsyncClient

from services.reminders.entities.audit import AUDITED_RESOURCES, ReminderAuditedEntity
from shared.database import asyncpg_dsn
from shared.identity import Role
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.services.reminders.callers import (
    ALICE,
    CONFIGURATIONS,
    CSR,
    EVENTS,
    as_customer,
    as_role,
    assert_problem,
    create_configuration,
    csr_body,
    customer_preference,
    item,
)

AUDIT = "/api/reminders/audit"


async def audit_rows(db: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every audit entry, oldest first, with before/after as dicts."""
    rows = await db.fetch("SELECT * FROM reminders.audit_log ORDER BY id")
    return [
        {
            **dict(row),
            "before": json.loads(row["before"]) if row["before"] else None,
            "after": json.loads(row["after"]) if row["after"] else None,
        }
        for row in rows
    ]


async def test_configuration_create_update_delete_are_audited_with_actor_before_and_after(
    reminders_client: AsyncClient, db: asyncpg.Connection
) -> None:
    created = await create_configuration(reminders_client, customer_preference())
    key = created["preference_id"]
    changed = await reminders_client.patch(
        item(key),
        json={"cadence_days": 30},
        headers=as_role(Role.CSR, "carla", **{"If-Match": '"1"'}),
    )
    deleted = await reminders_client.delete(
        item(key), headers=as_role(Role.ADMIN, "ann", **{"If-Match": '"2"'})
    )
    assert (changed.status_code, deleted.status_code) == (200, 204)

    entries = await audit_rows(db)

    assert [
        (row["action"], row["actor_sub"], row["actor_role"], row["entity"], row["entity_id"])
        for row in entries
    ] == [
        ("create", "tester", "csr", "configuration", key),
        ("update", "carla", "csr", "configuration", key),
        ("delete", "ann", "admin", "configuration", key),
    ]
    create, update, delete = entries
    assert create["before"] is None
    assert create["after"]["cadence_days"] == 14
    assert (update["before"]["cadence_days"], update["after"]["cadence_days"]) == (14, 30)
    assert (update["before"]["version"], update["after"]["version"]) == (1, 2)
    assert delete["before"]["cadence_days"] == 30
    assert delete["after"] is None
    assert all(row["at"] is not None for row in entries)


async def test_a_customer_changing_their_own_configuration_is_audited_as_the_customer(
    reminders_client: AsyncClient, db: asyncpg.Connection
) -> None:
    response = await reminders_client.post(
        CONFIGURATIONS, json=customer_preference(ALICE), headers=as_customer(ALICE)
    )
    assert response.status_code == 201

    (entry,) = await audit_rows(db)

    assert (entry["actor_sub"], entry["actor_role"], entry["action"]) == (
        ALICE,
        "customer",
        "create",
    )


async def test_csr_metadata_create_and_replace_are_audited(
    reminders_client: AsyncClient, db: asyncpg.Connection
) -> None:
    created = await reminders_client.put(
        f"{CSR}/CSR007", json=csr_body(), headers=as_role(Role.CSR, "carla")
    )
    replaced = await reminders_client.put(
        f"{CSR}/CSR007",
        json=csr_body(team="tier2"),
        headers=as_role(Role.EDITOR, "eddie", **{"If-Match": '"1"'}),
    )
    assert (created.status_code, replaced.status_code) == (201, 200)

    entries = await audit_rows(db)

    assert [
        (row["action"], row["actor_sub"], row["entity"], row["entity_id"]) for row in entries
    ] == [
        ("create", "carla", "CSR", "CSR007"),
        ("update", "eddie", "CSR", "CSR007"),
    ]
    assert entries[0]["after"]["team"] == "tier1"
    assert (entries[1]["before"]["team"], entries[1]["after"]["team"]) == ("tier1", "tier2")


async def test_refused_writes_and_events_leave_no_audit_entry(
    reminders_client: AsyncClient, db: asyncpg.Connection
) -> None:
    await create_configuration(reminders_client, customer_preference())
    duplicate = await reminders_client.post(
        CONFIGURATIONS, json=customer_preference(), headers=as_role(Role.CSR)
    )
    stale = await reminders_client.put(
        f"{CSR}/CSR001", json=csr_body(), headers=as_role(Role.CSR, **{"If-Match": '"3"'})
    )
    viewer = await reminders_client.put(
        f"{CSR}/CSR001", json=csr_body(), headers=as_role(Role.VIEWER)
    )
    event = await reminders_client.post(
        EVENTS, json={"event_type": "reminder.opened"}, headers=as_role(Role.CSR)
    )

    assert_problem(duplicate, 409)
    assert_problem(stale, 412)
    assert_problem(viewer, 403)
    assert event.status_code == 201
    assert [row["action"] for row in await audit_rows(db)] == ["create"]


async def test_the_audit_log_refuses_update_delete_and_truncate(
    reminders_client: AsyncClient, database: TestDatabase, db: asyncpg.Connection
) -> None:
    await create_configuration(reminders_client, customer_preference())
    service = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.REMINDERS)))
    try:
        for statement in (
            "UPDATE reminders.audit_log SET actor_sub = 'someone-else'",
            "DELETE FROM reminders.audit_log",
            "TRUNCATE reminders.audit_log",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await service.execute(statement)
    finally:
        await service.close()

    assert [row["actor_sub"] for row in await audit_rows(db)] == ["tester"]


async def _seed_entries(client: AsyncClient) -> str:
    created = await create_configuration(client, customer_preference())
    await client.patch(
        item(created["preference_id"]),
        json={"enabled": False},
        headers=as_role(Role.CSR, "carla", **{"If-Match": '"1"'}),
    )
    await client.put(f"{CSR}/CSR001", json=csr_body(), headers=as_role(Role.CSR, "carla"))
    return str(created["preference_id"])


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.VIEWER, Role.CSR, Role.EDITOR])
async def test_only_admins_read_the_audit_log(reminders_client: AsyncClient, role: Role) -> None:
    await _seed_entries(reminders_client)

    assert_problem(await reminders_client.get(AUDIT, headers=as_role(role)), 403)
    assert_problem(await reminders_client.get(AUDIT), 401)


async def test_the_audit_log_filters_and_pages(reminders_client: AsyncClient) -> None:
    key = await _seed_entries(reminders_client)
    admin = as_role(Role.ADMIN)

    async def entries(**params: Any) -> dict[str, Any]:
        response = await reminders_client.get(AUDIT, params=params, headers=admin)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    everything = await entries()
    first = everything["data"][-1]

    assert everything["count"] == 3
    assert [row["action"] for row in everything["data"]] == ["create", "update", "create"]
    assert [row["entity"] for row in (await entries(entity="CSR"))["data"]] == ["CSR"]
    assert (await entries(entity_id=key))["count"] == 2
    assert (await entries(actor="carla"))["count"] == 2
    assert (await entries(action="update"))["data"][0]["after"]["enabled"] is False
    assert (await entries(at_from=first["at"]))["count"] == 3
    assert (await entries(at_before=first["at"]))["count"] == 0
    paged = await entries(limit=1, offset=1)
    assert (paged["count"], len(paged["data"]), paged["offset"]) == (3, 1, 1)
    assert_problem(
        await reminders_client.get(AUDIT, params={"entity": "event"}, headers=admin), 422
    )


def test_the_entity_filter_names_exactly_the_audited_resources() -> None:
    assert set(get_args(ReminderAuditedEntity)) == {
        resource.entity for resource in AUDITED_RESOURCES
    }
