"""Every back-office write leaves one audit row and one outbox row, atomically with the change."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest
from httpx import ASGITransport, AsyncClient

from services.admin.app import create_app
from shared.database import asyncpg_dsn
from shared.identity import Role
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.services.admin.back_office import ENTITIES, PRODUCTS, Entity, as_role, create
from tests.services.admin.conftest import admin_settings
from tests.services.conftest import identity_headers


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda entity: entity.plural)
async def test_create_update_delete_each_write_one_audit_and_one_outbox_row(
    admin_client: AsyncClient, db: asyncpg.Connection, entity: Entity
) -> None:
    created = (await create(admin_client, entity, "K-1")).json()
    updated = (
        await admin_client.patch(
            entity.item_url("K-1"),
            json=entity.change,
            headers={**identity_headers(Role.EDITOR, sub="erin"), "If-Match": '"1"'},
        )
    ).json()
    await admin_client.delete(
        entity.item_url("K-1"),
        headers={**identity_headers(Role.ADMIN, sub="ann"), "If-Match": '"2"'},
    )

    audit = await db.fetch("SELECT * FROM admin.audit_log ORDER BY id")
    assert [(row["action"], row["actor_sub"], row["actor_role"]) for row in audit] == [
        ("create", "tester", "admin"),
        ("update", "erin", "editor"),
        ("delete", "ann", "admin"),
    ]
    assert {(row["entity"], row["entity_id"]) for row in audit} == {(entity.noun, "K-1")}
    assert audit[0]["before"] is None
    assert json.loads(audit[0]["after"]) == created
    assert json.loads(audit[1]["before"]) == created
    assert json.loads(audit[1]["after"]) == updated
    assert json.loads(audit[2]["before"]) == updated
    assert audit[2]["after"] is None

    outbox = await db.fetch("SELECT * FROM admin.change_outbox ORDER BY id")
    assert [row["operation"] for row in outbox] == ["create", "update", "delete"]
    assert json.loads(outbox[0]["payload"]) == created
    assert json.loads(outbox[1]["payload"]) == updated
    assert json.loads(outbox[2]["payload"]) == {entity.key: "K-1"}
    assert outbox[1]["updated_at"].isoformat().replace("+00:00", "Z") == updated["updated_at"]
    assert outbox[2]["updated_at"] >= outbox[1]["updated_at"]


async def test_a_failed_outbox_write_rolls_back_the_change_and_its_audit_row(
    database: TestDatabase, db: asyncpg.Connection, tmp_path: Path
) -> None:
    app = create_app(admin_settings(database, tmp_path))
    # Answer the 500 as a client would see it instead of re-raising the error into the test.
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=transport, base_url="http://service") as client,
    ):
        await create(client, PRODUCTS, "P-1")
        await db.execute("REVOKE INSERT ON admin.change_outbox FROM ecom_admin")
        response = await client.patch(
            PRODUCTS.item_url("P-1"),
            json={"price": "1.00"},
            headers=as_role(Role.EDITOR, **{"If-Match": '"1"'}),
        )

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text
    row = await db.fetchrow("SELECT price, version FROM admin.products WHERE product_id = 'P-1'")
    assert (str(row["price"]), row["version"]) == ("24.90", 1)
    assert await db.fetchval("SELECT count(*) FROM admin.audit_log") == 1
    assert await db.fetchval("SELECT count(*) FROM admin.change_outbox") == 1


async def test_refused_and_invalid_writes_leave_no_trace(
    admin_client: AsyncClient, db: asyncpg.Connection
) -> None:
    await create(admin_client, PRODUCTS, "P-1")
    await admin_client.post(PRODUCTS.url, json=PRODUCTS.payload("P-1"), headers=as_role(Role.ADMIN))
    await admin_client.patch(
        PRODUCTS.item_url("P-1"),
        json={"price": "2"},
        headers=as_role(Role.ADMIN, **{"If-Match": '"9"'}),
    )
    assert await db.fetchval("SELECT count(*) FROM admin.audit_log") == 1
    assert await db.fetchval("SELECT count(*) FROM admin.change_outbox") == 1


async def test_audit_endpoint_filters_by_entity_key_and_actor(
    admin_client: AsyncClient,
) -> None:
    await create(admin_client, PRODUCTS, "P-1")
    await create(admin_client, PRODUCTS, "P-2")
    await admin_client.patch(
        PRODUCTS.item_url("P-1"),
        json={"price": "1.00"},
        headers={**identity_headers(Role.EDITOR, sub="erin"), "If-Match": '"1"'},
    )
    await create(admin_client, ENTITIES[1], "C1")
    admin = as_role(Role.ADMIN)

    everything = (await admin_client.get("/api/admin/audit", headers=admin)).json()
    assert everything["count"] == 4
    assert [entry["action"] for entry in everything["data"]][:2] == ["create", "update"]
    by_key = await admin_client.get(
        "/api/admin/audit", params={"entity": "product", "entity_id": "P-1"}, headers=admin
    )
    assert [entry["action"] for entry in by_key.json()["data"]] == ["update", "create"]
    by_actor = (
        await admin_client.get("/api/admin/audit", params={"actor": "erin"}, headers=admin)
    ).json()
    assert by_actor["count"] == 1
    entry = by_actor["data"][0]
    assert (entry["before"]["price"], entry["after"]["price"]) == ("24.90", "1.00")
    paged = await admin_client.get("/api/admin/audit", params={"limit": 1}, headers=admin)
    assert (paged.json()["count"], len(paged.json()["data"])) == (4, 1)
    bad = await admin_client.get("/api/admin/audit", params={"sort": "before"}, headers=admin)
    assert bad.status_code == 422


async def test_pipeline_role_has_exactly_the_granted_rights(database: TestDatabase) -> None:
    pipeline = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        await pipeline.execute(
            "INSERT INTO admin.products (product_id, sku, name, category, price, currency)"
            " VALUES ('P-9', 'S-9', 'n', 'c', 1, 'USD')"
        )
        await pipeline.execute("UPDATE admin.products SET price = 2 WHERE product_id = 'P-9'")
        await pipeline.fetch("SELECT * FROM admin.customers")
        await pipeline.fetch("SELECT * FROM admin.orders")
        await pipeline.execute("DELETE FROM admin.change_outbox")
        # It removes from the back office what silver deleted (flows/back_office.py).
        await pipeline.execute("DELETE FROM admin.products WHERE product_id = 'P-9'")
        for statement in (
            "TRUNCATE admin.products",
            "SELECT * FROM admin.audit_log",
            "INSERT INTO admin.change_outbox (entity, entity_id, operation, payload, updated_at)"
            " VALUES ('product', 'P', 'create', '{}', now())",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await pipeline.execute(statement)
    finally:
        await pipeline.close()
