"""Admin edits reach silver through the change outbox: landed in bronze like any other source,
then applied under the rules of the CSV files (latest updated_at wins)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from httpx import AsyncClient

from flows.bronze import schema_fingerprint
from flows.generator.entities import FX_RATES
from flows.outbox import CHANGE_OUTBOX, OUTBOX_COLUMNS, land_change_outbox
from flows.pipeline import run_data_pipeline
from flows.replay import replay_rejects
from flows.settings import FlowSettings
from flows.silver.checksums import CHECKED_TABLES, silver_checksums
from flows.silver.outbox_statements import OUTBOX_TARGETS
from services.admin import tables as admin_tables
from services.admin.app import create_app
from services.admin.entities import customers, orders, products
from shared.database import asyncpg_dsn
from shared.identity import Role
from shared.objectstore import ObjectStore
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.orders_csv import ORDER_COLUMNS, order_row, render_orders_csv
from tests.flows.silver.outbox_events import (
    append_events,
    customer_row,
    event,
    land_customers,
    land_products,
    product_row,
    render_csv,
)
from tests.services.admin.back_office import ORDERS, PRODUCTS, as_role, create
from tests.services.admin.conftest import admin_settings
from tests.services.conftest import client_for


@pytest.fixture
async def admin(database: TestDatabase, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    """The admin service on this test's database: its writes append to the outbox."""
    async for client in client_for(create_app(admin_settings(database, tmp_path / "admin"))):
        yield client


@pytest.fixture
def tolerant(flow_settings: FlowSettings) -> FlowSettings:
    """Flow settings that let a run reject every row (tests of rejects)."""
    return flow_settings.model_copy(update={"max_reject_rate": 1.0})


async def patch(client: AsyncClient, url: str, version: int, **changes: object) -> datetime:
    """Change a back-office row as an admin; returns the row's new updated_at."""
    response = await client.patch(
        url, json=changes, headers=as_role(Role.ADMIN, **{"If-Match": f'"{version}"'})
    )
    assert response.status_code == 200, response.text
    return datetime.fromisoformat(response.json()["updated_at"])


async def outbox_ledger(database: TestDatabase) -> list[asyncpg.Record]:
    """Ledger rows of change-outbox files, oldest first."""
    return await database.fetch(
        "SELECT * FROM ops.file_ledger WHERE entity = $1 ORDER BY loaded_at",
        CHANGE_OUTBOX,
    )


async def test_an_admin_price_change_opens_a_new_product_version(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase, admin: AsyncClient
) -> None:
    land_products(lake, "catalog", [product_row("P-1")])
    await run_data_pipeline(flow_settings)
    # The run put the product in the back office (version 1); an admin edits it there.
    changed_at = await patch(admin, PRODUCTS.item_url("P-1"), 1, price="19.90")

    summary = await run_data_pipeline(flow_settings)

    [landed] = summary.landed
    assert (landed.entity, landed.rows, landed.newly_landed) == (CHANGE_OUTBOX, 1, True)
    [outcome] = summary.loaded
    assert (outcome.entity, outcome.rows_read, outcome.updated, outcome.stale) == (
        CHANGE_OUTBOX,
        1,
        1,
        0,
    )
    old, new = await database.fetch(
        "SELECT price, brew_method, weight_grams, is_current, valid_from, valid_to, updated_at"
        " FROM silver.products ORDER BY valid_from",
    )
    assert (old["price"], old["is_current"], old["valid_to"]) == (
        Decimal("24.90"),
        False,
        changed_at,
    )
    assert (new["price"], new["is_current"], new["valid_from"]) == (
        Decimal("19.90"),
        True,
        changed_at,
    )
    # Columns the admin row lacks keep their silver values.
    assert (new["brew_method"], new["weight_grams"]) == ("espresso", 250)
    [ledger] = await outbox_ledger(database)
    assert (ledger["rows_read"], ledger["rows_updated"], ledger["rows_stale"]) == (1, 1, 0)
    assert await database.fetch("SELECT 1 FROM admin.change_outbox") == []


async def test_an_order_status_change_updates_silver_and_rebuilds_its_revenue_day(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase, admin: AsyncClient
) -> None:
    row = order_row(
        "O-1",
        order_date="2020-01-10T10:00:00+00:00",
        updated_at="2020-01-10T10:05:00+00:00",
        subtotal_amount="9.00",
        shipping_amount="1.00",
        stockist_id="S-1",
    )
    lake.write_atomic(
        "landing/orders/o.csv",
        render_csv([*ORDER_COLUMNS, "discount_code"], [{**row, "discount_code": "WELCOME10"}]),
    )
    await run_data_pipeline(flow_settings)  # the back office now holds O-1 (version 1)
    changed_at = await patch(admin, ORDERS.item_url("O-1"), 1, status="cancelled")

    summary = await run_data_pipeline(flow_settings)

    [order] = await database.fetch("SELECT * FROM silver.orders")
    assert (order["status"], order["updated_at"]) == ("cancelled", changed_at)
    # Not in the admin row: kept, extras included.
    assert (order["subtotal_amount"], order["stockist_id"]) == (Decimal("9.00"), "S-1")
    assert json.loads(order["extras"]) == {"discount_code": "WELCOME10"}
    assert [str(day) for day in summary.marts[0].rebuilt] == ["2020-01-10"]
    [day] = await database.fetch(
        "SELECT orders, cancelled_orders + returned_orders AS cancelled_orders, net_revenue"
        " FROM admin.mart_daily_revenue"
    )
    assert (day["orders"], day["cancelled_orders"], day["net_revenue"]) == (0, 1, Decimal(0))


async def test_a_stale_edit_is_counted_stale_and_not_applied(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    lake.write_atomic(
        "landing/orders/o.csv",
        render_orders_csv(
            [order_row("O-1", status="delivered", updated_at="2026-11-19T12:00:00+00:00")]
        ),
    )
    await run_data_pipeline(flow_settings)
    await append_events(
        database,
        event("order", "O-1", "update", {"status": "cancelled"}, "2026-11-19T11:00:00+00:00"),
    )

    summary = await run_data_pipeline(flow_settings)

    [outcome] = summary.loaded
    assert (outcome.rows_read, outcome.stale, outcome.updated) == (1, 1, 0)
    [order] = await database.fetch("SELECT status, updated_at FROM silver.orders")
    assert order["status"] == "delivered"
    assert summary.marts[0].rebuilt == []


async def test_invalid_events_are_rejected_with_their_rule_and_outbox_row(
    tolerant: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    land_products(lake, "catalog", [product_row("P-1")])
    lake.write_atomic("landing/orders/o.csv", render_orders_csv([order_row("O-1")]))
    await run_data_pipeline(tolerant)
    at = "2026-11-26T10:00:00+00:00"
    await append_events(
        database,
        event("product", "P-1", "update", {"product_id": "P-1", "price": "abc"}, at),
        event("order", "O-1", "update", {"currency": "XXX"}, at),
        event("customer", "C-9", "create", {"customer_id": "C-9", "email": "c9@example.com"}, at),
        event("widget", "W-1", "update", {"widget_id": "W-1"}, at),
        event("product", "P-1", "update", [1, 2], at),
        event("product", "P-1", "update", {"product_id": "P-2"}, at),
        event("product", "P-1", "update", {"name": "Decaf beans"}, at),
    )

    summary = await run_data_pipeline(tolerant)

    [outcome] = summary.loaded
    assert (outcome.rows_read, outcome.rejected, outcome.updated) == (7, 6, 1)
    rejects = await database.fetch(
        "SELECT line_number, rule, entity, raw_row FROM silver.rejects ORDER BY line_number",
    )
    assert [(r["line_number"], r["rule"]) for r in rejects] == [
        (2, "BAD_NUMBER"),
        (3, "UNKNOWN_CURRENCY"),
        (4, "MISSING_REQUIRED"),
        (5, "UNKNOWN_ENTITY"),
        (6, "BAD_PAYLOAD"),
        (7, "BAD_PAYLOAD"),
    ]
    assert {r["entity"] for r in rejects} == {CHANGE_OUTBOX}
    first = json.loads(rejects[0]["raw_row"])  # the outbox row as it was landed
    assert (first["entity"], first["entity_id"], first["operation"]) == ("product", "P-1", "update")
    assert json.loads(first["payload"]) == {"product_id": "P-1", "price": "abc"}
    [product] = await database.fetch("SELECT name, price FROM silver.products")
    assert (product["name"], product["price"]) == ("Decaf beans", Decimal("24.90"))
    [order] = await database.fetch("SELECT currency FROM silver.orders")
    assert order["currency"] == "USD"


async def test_deletes_close_the_product_version_and_mark_the_order_deleted(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    land_products(lake, "catalog", [product_row("P-1"), product_row("P-2")])
    day = {"order_date": "2020-01-10T10:00:00+00:00", "updated_at": "2020-01-10T10:05:00+00:00"}
    lake.write_atomic(
        "landing/orders/o.csv",
        render_orders_csv([order_row("O-1", **day), order_row("O-2", **day)]),
    )
    await run_data_pipeline(flow_settings)
    await append_events(
        database,
        event("product", "P-1", "delete", {"product_id": "P-1"}, "2020-02-01T00:00:00+00:00"),
        event("order", "O-1", "delete", {"order_id": "O-1"}, "2020-02-01T00:00:00+00:00"),
        event("order", "O-1", "delete", {"order_id": "O-1"}, "2020-01-20T00:00:00+00:00"),
        event("order", "O-2", "delete", {"order_id": "O-2"}, "2020-01-01T00:00:00+00:00"),
    )

    summary = await run_data_pipeline(flow_settings)

    [outcome] = summary.loaded
    # O-1's earlier delete loses to its later one; O-2's is older than the row.
    assert (outcome.rows_read, outcome.updated, outcome.stale) == (4, 2, 2)
    deleted_at = datetime.fromisoformat("2020-02-01T00:00:00+00:00")
    products_now = await database.fetch(
        "SELECT product_id, is_current, valid_to FROM silver.products ORDER BY 1"
    )
    assert [(p["product_id"], p["is_current"]) for p in products_now] == [
        ("P-1", False),
        ("P-2", True),
    ]
    assert products_now[0]["valid_to"] == deleted_at
    orders_now = await database.fetch(
        "SELECT order_id, deleted_at, updated_at FROM silver.orders ORDER BY 1"
    )
    assert [(o["order_id"], o["deleted_at"]) for o in orders_now] == [
        ("O-1", deleted_at),
        ("O-2", None),
    ]
    assert orders_now[0]["updated_at"] == deleted_at
    assert [str(d) for d in summary.marts[0].rebuilt] == ["2020-01-10"]
    [mart] = await database.fetch("SELECT orders FROM admin.mart_daily_revenue")
    assert mart["orders"] == 1


async def test_rows_older_than_a_delete_stay_deleted_and_newer_ones_bring_the_key_back(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    land_products(lake, "catalog", [product_row("P-1")])
    lake.write_atomic("landing/orders/o.csv", render_orders_csv([order_row("O-1")]))
    await run_data_pipeline(flow_settings)
    deleted = "2026-11-20T00:00:00+00:00"
    await append_events(
        database,
        event("product", "P-1", "delete", {"product_id": "P-1"}, deleted),
        event("order", "O-1", "delete", {"order_id": "O-1"}, deleted),
    )
    await run_data_pipeline(flow_settings)

    before = "2026-11-19T23:00:00+00:00"
    land_products(lake, "late", [product_row("P-1", price="30.00", updated_at=before)])
    lake.write_atomic(
        "landing/orders/late.csv",
        render_orders_csv([order_row("O-1", status="delivered", updated_at=before)]),
    )
    late = await run_data_pipeline(flow_settings)

    assert late.total("stale") == 2
    assert await database.fetch("SELECT 1 FROM silver.products WHERE is_current") == []
    [order] = await database.fetch("SELECT status, deleted_at FROM silver.orders")
    assert order["status"] == "paid"
    assert order["deleted_at"] is not None

    after = "2026-11-21T00:00:00+00:00"
    land_products(lake, "back", [product_row("P-1", price="31.00", updated_at=after)])
    lake.write_atomic(
        "landing/orders/back.csv",
        render_orders_csv([order_row("O-1", status="delivered", updated_at=after)]),
    )
    back = await run_data_pipeline(flow_settings)

    assert (back.total("inserted"), back.total("updated")) == (1, 1)
    [product] = await database.fetch("SELECT price FROM silver.products WHERE is_current")
    assert product["price"] == Decimal("31.00")
    [order] = await database.fetch("SELECT status, deleted_at FROM silver.orders")
    assert (order["status"], order["deleted_at"]) == ("delivered", None)


async def test_outbox_rows_are_gone_after_landing_and_the_bronze_object_holds_them(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase, admin: AsyncClient
) -> None:
    await create(admin, PRODUCTS, "P-1")
    await patch(admin, PRODUCTS.item_url("P-1"), 1, price="19.90")
    response = await admin.delete(
        PRODUCTS.item_url("P-1"), headers=as_role(Role.ADMIN, **{"If-Match": '"2"'})
    )
    assert response.status_code == 204
    events = await database.fetch("SELECT * FROM admin.change_outbox ORDER BY id")
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        [landed] = await land_change_outbox(lake, connection)
        assert await land_change_outbox(lake, connection) == []  # nothing left to land
    finally:
        await connection.close()

    assert await database.fetch("SELECT 1 FROM admin.change_outbox") == []
    data = lake.read_bytes(landed.bronze_key)
    [manifest] = await database.fetch("SELECT * FROM ops.bronze_files")
    assert manifest["entity"] == CHANGE_OUTBOX
    assert manifest["bronze_path"].startswith("bronze/change_outbox/ingest_date=")
    assert (manifest["sha256"], manifest["bytes"], manifest["rows"]) == (
        hashlib.sha256(data).hexdigest(),
        len(data),
        3,
    )
    assert manifest["schema_fingerprint"] == schema_fingerprint(list(OUTBOX_COLUMNS))
    records = list(csv.DictReader(io.StringIO(data.decode())))
    assert [
        (
            int(r["id"]),
            r["entity"],
            r["entity_id"],
            r["operation"],
            json.loads(r["payload"]),
            datetime.fromisoformat(r["updated_at"]),
            datetime.fromisoformat(r["created_at"]),
        )
        for r in records
    ] == [
        (
            e["id"],
            e["entity"],
            e["entity_id"],
            e["operation"],
            json.loads(e["payload"]),
            e["updated_at"],
            e["created_at"],
        )
        for e in events
    ]

    # Created, changed and deleted between two runs: one version, closed by the delete.
    [outcome] = (await run_data_pipeline(flow_settings)).loaded
    assert (outcome.inserted, outcome.stale, outcome.updated) == (1, 1, 1)
    [version] = await database.fetch("SELECT price, is_current FROM silver.products")
    assert (version["price"], version["is_current"]) == (Decimal("19.90"), False)


async def test_a_crash_before_the_manifest_commit_lands_the_same_bytes_once(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    lake.write_atomic("landing/orders/o.csv", render_orders_csv([order_row("O-1")]))
    await run_data_pipeline(flow_settings)
    await append_events(
        database,
        event("order", "O-1", "update", {"status": "shipped"}, "2026-11-26T10:00:00+00:00"),
    )
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        crash = connection.transaction()
        await crash.start()
        [written] = await land_change_outbox(lake, connection)
        await crash.rollback()  # the object is written; manifest row and trim are not
    finally:
        await connection.close()
    assert lake.exists(written.bronze_key)
    assert len(await database.fetch("SELECT 1 FROM admin.change_outbox")) == 1

    summary = await run_data_pipeline(flow_settings)

    [landed] = summary.landed
    assert (landed.sha256, landed.newly_landed) == (written.sha256, True)
    assert lake.read_bytes(landed.bronze_key) == lake.read_bytes(written.bronze_key)
    [ledger] = await outbox_ledger(database)
    assert (ledger["rows_read"], ledger["rows_updated"]) == (1, 1)
    assert await database.fetch("SELECT 1 FROM admin.change_outbox") == []
    [order] = await database.fetch("SELECT status FROM silver.orders")
    assert order["status"] == "shipped"


async def test_the_same_events_landed_again_are_recorded_once_and_applied_once(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    lake.write_atomic("landing/orders/o.csv", render_orders_csv([order_row("O-1")]))
    await run_data_pipeline(flow_settings)
    await append_events(
        database,
        event("order", "O-1", "update", {"status": "shipped"}, "2026-11-26T10:00:00+00:00"),
    )
    [landed_event] = await database.fetch("SELECT * FROM admin.change_outbox")
    await run_data_pipeline(flow_settings)
    silver_before = await database.fetch("SELECT * FROM silver.orders")
    # The same event, id and all, back in the outbox (say, restored from a backup).
    await database.fetch(
        "INSERT INTO admin.change_outbox (id, entity, entity_id, operation, payload, updated_at,"
        " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        *landed_event.values(),
    )

    again = await run_data_pipeline(flow_settings)

    assert [(f.entity, f.newly_landed) for f in again.landed] == [(CHANGE_OUTBOX, False)]
    assert again.loaded == []
    assert await database.fetch("SELECT 1 FROM admin.change_outbox") == []
    assert (
        len(await database.fetch("SELECT 1 FROM ops.bronze_files WHERE entity = $1", CHANGE_OUTBOX))
        == 1
    )
    assert len(await outbox_ledger(database)) == 1
    assert await database.fetch("SELECT * FROM silver.orders") == silver_before


async def test_an_edit_waiting_for_an_fx_rate_is_applied_when_its_rejects_are_replayed(
    tolerant: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    lake.write_atomic("landing/orders/o.csv", render_orders_csv([order_row("O-1")]))
    await run_data_pipeline(tolerant)
    await append_events(
        database,
        event(
            "order",
            "O-1",
            "update",
            {"currency": "EUR", "total_amount": "20.00"},
            "2026-11-26T10:00:00+00:00",
        ),
    )
    [waiting] = (await run_data_pipeline(tolerant)).loaded
    assert waiting.rejected == 1
    rate = {"rate_date": "2026-11-01", "currency": "EUR", "base_currency": "USD", "rate": "1.1"}
    lake.write_atomic(
        "landing/fx_rates/r.csv",
        render_csv(FX_RATES.columns, [{**rate, "updated_at": "2026-11-01T00:00:00+00:00"}]),
    )
    await run_data_pipeline(tolerant)

    summary = await replay_rejects(tolerant, entity=CHANGE_OUTBOX)

    [replayed] = summary.loaded
    assert (replayed.rows_read, replayed.updated, replayed.rejected) == (1, 1, 0)
    [order] = await database.fetch("SELECT currency, total_amount_base FROM silver.orders")
    assert (order["currency"], order["total_amount_base"]) == ("EUR", Decimal("22.00"))
    [reject] = await database.fetch("SELECT resolved_run_id FROM silver.rejects")
    assert reject["resolved_run_id"] == summary.run_id


async def test_replaying_bronze_rebuilds_identical_silver(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase, admin: AsyncClient
) -> None:
    land_products(lake, "catalog", [product_row("P-1")])
    land_customers(lake, "people", [customer_row("C00001")])
    lake.write_atomic("landing/orders/o.csv", render_orders_csv([order_row("O-1")]))
    await run_data_pipeline(flow_settings)
    await patch(admin, PRODUCTS.item_url("P-1"), 1, price="19.90")
    await patch(admin, ORDERS.item_url("O-1"), 1, status="shipped")
    await append_events(
        database,
        event("customer", "C00001", "delete", {"customer_id": "C00001"}, "2026-11-26T00:00Z"),
    )
    await run_data_pipeline(flow_settings)
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        before = await silver_checksums(connection)
        await connection.execute(
            "TRUNCATE " + ", ".join(f"silver.{name}" for name in CHECKED_TABLES)
        )
        await connection.execute("UPDATE ops.bronze_files SET loaded_at = NULL")

        await run_data_pipeline(flow_settings)

        assert await silver_checksums(connection) == before
    finally:
        await connection.close()


def test_every_admin_column_has_a_silver_column_in_its_target_table() -> None:
    admin_resources = {
        products.RESOURCE.entity: admin_tables.products,
        customers.RESOURCE.entity: admin_tables.customers,
        orders.RESOURCE.entity: admin_tables.orders,
    }
    assert set(OUTBOX_TARGETS) == set(admin_resources)
    bookkeeping = {"version", "created_at", "updated_at"}  # the admin row's own metadata
    for entity, admin_table in admin_resources.items():
        target = OUTBOX_TARGETS[entity]
        assert set(admin_table.c.keys()) - bookkeeping <= target.source_columns, entity
        assert admin_table.c[target.key[0]].primary_key
