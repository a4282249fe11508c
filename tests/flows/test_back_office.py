"""The back office holds silver's current business: every run copies what it changed, an admin
edit goes round through silver and back, and a source update makes an admin's ETag stale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient

from flows.back_office import MIRRORS, Mirror, sync_back_office
from flows.pipeline import rebuild_marts, run_data_pipeline
from flows.replay import replay_silver
from flows.settings import FlowSettings
from services.admin.app import create_app
from shared.database import asyncpg_dsn
from shared.identity import Role
from shared.objectstore import ObjectStore
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.orders_csv import order_row, render_orders_csv
from tests.flows.silver.outbox_events import (
    append_events,
    customer_row,
    event,
    land_customers,
    land_products,
    product_row,
)
from tests.services.admin.back_office import CUSTOMERS, ORDERS, PRODUCTS, as_role
from tests.services.admin.conftest import admin_settings
from tests.services.conftest import client_for


@pytest.fixture
async def admin(database: TestDatabase, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    """The admin service on this test's database."""
    async for client in client_for(create_app(admin_settings(database, tmp_path / "admin"))):
        yield client


async def value(database: TestDatabase, query: str, *args: object) -> Any:
    """The single value of a query run as the superuser."""
    [row] = await database.fetch(query, *args)
    return row[0]


async def silver_current(database: TestDatabase, mirror: Mirror) -> list[dict[str, Any]]:
    """Silver's current rows of one back-office table, in the admin table's columns."""
    values = ", ".join(f"{expr} AS {name}" for name, expr in mirror.columns.items())
    rows = await database.fetch(
        f"SELECT {values} FROM silver.{mirror.silver} s WHERE {mirror.current}"
        f" ORDER BY {mirror.key}"
    )
    return [dict(row) for row in rows]


async def admin_rows(database: TestDatabase, mirror: Mirror) -> list[dict[str, Any]]:
    """The back office's rows of one table, in the same columns."""
    names = ", ".join(mirror.columns)
    rows = await database.fetch(f"SELECT {names} FROM {mirror.admin} ORDER BY {mirror.key}")
    return [dict(row) for row in rows]


async def assert_back_office_is_silver(database: TestDatabase) -> None:
    for mirror in MIRRORS:
        assert await admin_rows(database, mirror) == await silver_current(database, mirror), (
            mirror.silver
        )


def land_orders(lake: ObjectStore, name: str, rows: list[dict[str, str]]) -> None:
    lake.write_atomic(f"landing/orders/{name}.csv", render_orders_csv(rows))


async def version_of(admin: AsyncClient, url: str) -> tuple[int, dict[str, Any]]:
    response = await admin.get(url, headers=as_role(Role.ADMIN))
    assert response.status_code == 200, response.text
    body = response.json()
    assert response.headers["etag"] == f'"{body["version"]}"'
    return body["version"], body


async def test_a_run_copies_silver_current_rows_with_history_and_deletes(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase, admin: AsyncClient
) -> None:
    land_products(lake, "p1", [product_row("P-1"), product_row("P-2", price="5.00")])
    land_customers(lake, "c1", [customer_row("C00001"), customer_row("C00002")])
    land_orders(
        lake, "o1", [order_row("O-1"), order_row("O-2"), order_row("O-3", customer_id="C9")]
    )

    summary = await run_data_pipeline(flow_settings)

    assert summary.back_office is not None
    assert (summary.back_office.synced, summary.back_office.skipped) == (7, 0)
    await assert_back_office_is_silver(database)
    # The inferred placeholder of C9 is no customer yet: silver has it, the back office not.
    assert await value(database, "SELECT count(*) FROM silver.customers") == 3
    listed = await admin.get(CUSTOMERS.url, headers=as_role(Role.ADMIN))
    assert listed.json()["count"] == 2
    assert (await admin.get(ORDERS.url, headers=as_role(Role.ADMIN))).json()["count"] == 3
    export = await admin.get(f"{ORDERS.url}/export/csv", headers=as_role(Role.ADMIN))
    assert export.status_code == 200, export.text
    assert len(export.text.strip().splitlines()) == 1 + 3

    # An SCD2 change of a product, and an admin delete of an order (already in the outbox).
    land_products(
        lake, "p2", [product_row("P-1", price="21.00", updated_at="2020-02-01T00:00:00+00:00")]
    )
    await append_events(database, event("order", "O-2", "delete", {}, "2027-01-01T00:00:00+00:00"))
    await database.fetch("DELETE FROM admin.orders WHERE order_id = 'O-2'")  # as the API did
    version_before, _ = await version_of(admin, PRODUCTS.item_url("P-1"))

    summary = await run_data_pipeline(flow_settings)

    assert await value(database, "SELECT count(*) FROM silver.products") == 3  # two versions
    await assert_back_office_is_silver(database)
    version_after, product = await version_of(admin, PRODUCTS.item_url("P-1"))
    assert (product["price"], version_after) == ("21.00", version_before + 1)
    assert (await admin.get(ORDERS.item_url("O-2"), headers=as_role(Role.ADMIN))).status_code == 404
    assert await value(database, "SELECT count(*) FROM ops.dirty_back_office") == 0
    # Untouched rows keep their version: only P-1 changed.
    versions = await database.rows("SELECT product_id, version FROM admin.products ORDER BY 1")
    assert versions == [("P-1", version_before + 1), ("P-2", 1)]


async def test_an_admin_edit_round_trips_and_a_newer_source_update_makes_its_etag_stale(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase, admin: AsyncClient
) -> None:
    land_products(lake, "p1", [product_row("P-1")])
    await run_data_pipeline(flow_settings)
    version, _ = await version_of(admin, PRODUCTS.item_url("P-1"))
    edited = await admin.patch(
        PRODUCTS.item_url("P-1"),
        json={"price": "19.90"},
        headers=as_role(Role.ADMIN, **{"If-Match": f'"{version}"'}),
    )
    assert edited.status_code == 200, edited.text
    edited_version = edited.json()["version"]

    await run_data_pipeline(flow_settings)

    price = await value(
        database, "SELECT price FROM silver.products WHERE product_id = 'P-1' AND is_current"
    )
    assert str(price) == "19.90"
    # The edit came back unchanged: same content, same ETag.
    assert await version_of(admin, PRODUCTS.item_url("P-1")) == (edited_version, edited.json())
    await assert_back_office_is_silver(database)

    # A source update newer than the edit wins in silver, and so in the back office.
    land_products(
        lake, "p2", [product_row("P-1", price="30.00", updated_at="2099-01-01T00:00:00+00:00")]
    )
    await run_data_pipeline(flow_settings)

    version, product = await version_of(admin, PRODUCTS.item_url("P-1"))
    assert (product["price"], version) == ("30.00", edited_version + 1)
    stale = await admin.patch(
        PRODUCTS.item_url("P-1"),
        json={"price": "1.00"},
        headers=as_role(Role.ADMIN, **{"If-Match": f'"{edited_version}"'}),
    )
    assert stale.status_code == 412, stale.text


async def test_an_edit_older_than_silver_comes_back_as_silver_has_it(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase, admin: AsyncClient
) -> None:
    # The source's row is dated in the future: an edit made now is older and loses in silver.
    land_products(lake, "p1", [product_row("P-1", updated_at="2099-01-01T00:00:00+00:00")])
    await run_data_pipeline(flow_settings)
    edited = await admin.patch(
        PRODUCTS.item_url("P-1"),
        json={"name": "Renamed"},
        headers=as_role(Role.ADMIN, **{"If-Match": '"1"'}),
    )
    assert edited.status_code == 200, edited.text

    summary = await run_data_pipeline(flow_settings)

    assert summary.loaded[0].stale == 1
    version, product = await version_of(admin, PRODUCTS.item_url("P-1"))
    assert (product["name"], version) == ("Espresso beans", 3)
    await assert_back_office_is_silver(database)


async def test_an_edit_still_in_the_outbox_is_left_alone(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase, admin: AsyncClient
) -> None:
    land_products(lake, "p1", [product_row("P-1")])
    await run_data_pipeline(flow_settings)
    # Marked by a newer source row, while an edit waits in the outbox (made after the landing).
    await database.fetch(
        "INSERT INTO admin.change_outbox (entity, entity_id, operation, payload, updated_at)"
        " VALUES ('product', 'P-1', 'update', '{}', now())"
    )
    await database.fetch("UPDATE admin.products SET name = 'Pending edit', version = 2")
    await database.fetch("INSERT INTO ops.dirty_back_office VALUES ('products', 'P-1')")
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        result = await sync_back_office(connection)
    finally:
        await connection.close()

    assert result.synced == 0
    assert await value(database, "SELECT name FROM admin.products") == "Pending edit"


async def test_rows_the_back_office_refuses_are_skipped_and_counted(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    # Silver lets two products share a sku; the back office does not.
    land_products(lake, "p1", [product_row("P-1", sku="DUP"), product_row("P-2", sku="DUP")])

    summary = await run_data_pipeline(flow_settings)

    assert summary.back_office is not None
    assert (summary.back_office.synced, summary.back_office.skipped) == (1, 1)
    assert await database.rows("SELECT product_id FROM admin.products") == [("P-1",)]
    [run] = await database.fetch(
        "SELECT back_office_synced, back_office_skipped, anomalies::text AS anomalies"
        " FROM ops.pipeline_runs WHERE run_id = $1",
        summary.run_id,
    )
    assert (run["back_office_synced"], run["back_office_skipped"]) == (1, 1)
    assert "products/P-2" in run["anomalies"]


async def test_a_rebuild_and_a_full_replay_rebuild_the_back_office(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    land_products(lake, "p1", [product_row("P-1"), product_row("P-2")])
    land_customers(lake, "c1", [customer_row("C00001")])
    land_orders(lake, "o1", [order_row("O-1"), order_row("O-2")])
    await run_data_pipeline(flow_settings)
    # The back office drifted (rows lost, a stray row): a rebuild puts silver back.
    await database.fetch("DELETE FROM admin.orders WHERE order_id = 'O-1'")
    await database.fetch("UPDATE admin.products SET name = 'drifted'")
    await database.fetch(
        "INSERT INTO admin.customers (customer_id, email, country) VALUES ('C-X', 'x@x.io', 'GB')"
    )

    summary, _ = await rebuild_marts(flow_settings)

    assert summary.back_office is not None
    assert summary.back_office.removed == 1
    await assert_back_office_is_silver(database)

    await database.fetch("DELETE FROM admin.products")
    await replay_silver(flow_settings)
    await assert_back_office_is_silver(database)
    assert await value(database, "SELECT count(*) FROM admin.products") == 2
