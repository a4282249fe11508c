"""Rows for change-outbox tests: silver seeded from CSVs, admin events appended as its role."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from flows.generator.entities import CUSTOMERS, PRODUCTS
from shared.database import asyncpg_dsn
from shared.objectstore import ObjectStore
from shared.owners import Owner
from tests.conftest import TestDatabase


def render_csv(columns: Sequence[str], rows: list[dict[str, str]]) -> bytes:
    """Rows as CSV bytes with a header; missing columns are empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def product_row(product_id: str, **overrides: str) -> dict[str, str]:
    """A valid USD product row as the generator writes it; keyword arguments replace columns."""
    return {
        "product_id": product_id,
        "sku": f"SKU-{product_id}",
        "name": "Espresso beans",
        "category": "beans",
        "brew_method": "espresso",
        "price": "24.90",
        "cost": "9.80",
        "currency": "USD",
        "sustainability_score": "82",
        "weight_grams": "250",
        "active": "true",
        "updated_at": "2020-01-01T00:00:00+00:00",
        **overrides,
    }


def customer_row(customer_id: str, **overrides: str) -> dict[str, str]:
    """A valid customer row as the generator writes it; keyword arguments replace columns."""
    return {
        "customer_id": customer_id,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": f"{customer_id.lower()}@example.com",
        "phone": "+44 20 7946 0000",
        "address_line": "12 Analytical Row",
        "city": "London",
        "postal_code": "N1 9GU",
        "country": "GB",
        "region": "north",
        "timezone": "Europe/London",
        "customer_type": "retail",
        "preferred_channel": "email",
        "marketing_opt_in": "false",
        "created_at": "2020-01-01T00:00:00+00:00",
        "updated_at": "2020-01-01T00:00:00+00:00",
        **overrides,
    }


def land_products(lake: ObjectStore, name: str, rows: list[dict[str, str]]) -> None:
    """Write a products CSV to landing."""
    lake.write_atomic(f"landing/products/{name}.csv", render_csv(PRODUCTS.columns, rows))


def land_customers(lake: ObjectStore, name: str, rows: list[dict[str, str]]) -> None:
    """Write a customers CSV to landing."""
    lake.write_atomic(f"landing/customers/{name}.csv", render_csv(CUSTOMERS.columns, rows))


def event(
    entity: str, entity_id: str, operation: str, payload: Any, updated_at: str
) -> tuple[str, str, str, str, datetime]:
    """One outbox event as the admin service would append it."""
    return entity, entity_id, operation, json.dumps(payload), datetime.fromisoformat(updated_at)


async def append_events(
    database: TestDatabase, *events: tuple[str, str, str, str, datetime]
) -> None:
    """Append events to admin.change_outbox as the admin service's role."""
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.ADMIN)))
    try:
        await connection.executemany(
            "INSERT INTO admin.change_outbox (entity, entity_id, operation, payload, updated_at)"
            " VALUES ($1, $2, $3, $4::jsonb, $5)",
            events,
        )
    finally:
        await connection.close()
