"""Every CSV export writes booleans as true/false and timestamps as ISO 8601 (UTC, with Z),
whatever the server's time zone and date style, and keeps formula text inert."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
from httpx import AsyncClient
from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.admin.app import create_app as create_admin_app
from shared.database import create_engine
from shared.exports import csv_export
from shared.identity import Role
from tests.conftest import TestDatabase
from tests.services.admin.back_office import CUSTOMERS, ORDERS, PRODUCTS, as_role, create
from tests.services.admin.conftest import admin_settings
from tests.services.conftest import client_for

ISO_UTC = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z"


def csv_dicts(content: bytes) -> list[dict[str, str]]:
    """The rows of a CSV export by column name."""
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))


@pytest.fixture
async def admin_client(
    database: TestDatabase, tmp_path: Path, db: asyncpg.Connection
) -> AsyncIterator[AsyncClient]:
    """The admin service on a database whose defaults are neither UTC nor ISO."""
    await db.execute(f"ALTER DATABASE \"{database.name}\" SET timezone = 'America/New_York'")
    await db.execute(f"ALTER DATABASE \"{database.name}\" SET DateStyle = 'SQL, DMY'")
    async for http in client_for(create_admin_app(admin_settings(database, tmp_path))):
        yield http


async def test_admin_csv_booleans_and_timestamps_match_the_json(
    admin_client: AsyncClient, db: asyncpg.Connection
) -> None:
    await create(admin_client, PRODUCTS, "P-1", active=True)
    await create(admin_client, PRODUCTS, "P-2", active=False, cost=None)
    await create(admin_client, CUSTOMERS, "C1", marketing_opt_in=True)
    await create(admin_client, ORDERS, "O-1", order_date="2026-11-26T10:15:00Z")
    await db.execute(
        "INSERT INTO admin.orders (order_id, customer_id, order_date, status, channel, region,"
        " currency, total_amount) VALUES"
        " ('O-2', 'C1', '2026-11-26 23:59:59.25+01', 'paid', 'web', 'n', 'USD', 1)"
    )
    editor = as_role(Role.EDITOR)

    products = csv_dicts(
        (await admin_client.get(f"{PRODUCTS.url}/export/csv", headers=editor)).content
    )
    customers = csv_dicts(
        (await admin_client.get(f"{CUSTOMERS.url}/export/csv", headers=editor)).content
    )
    orders = csv_dicts((await admin_client.get(f"{ORDERS.url}/export/csv", headers=editor)).content)
    listed = (await admin_client.get(PRODUCTS.url, headers=editor)).json()["data"]

    assert [(row["product_id"], row["active"], row["cost"]) for row in products] == [
        ("P-1", "true", "9.80"),
        ("P-2", "false", ""),
    ]
    assert [row["marketing_opt_in"] for row in customers] == ["true"]
    assert {row["order_id"]: row["order_date"] for row in orders} == {
        "O-1": "2026-11-26T10:15:00Z",
        "O-2": "2026-11-26T22:59:59.25Z",
    }
    for exported, json_row in zip(products, listed, strict=True):
        for name in ("created_at", "updated_at"):
            assert exported[name].endswith("Z")
            assert "T" in exported[name]
            assert datetime.fromisoformat(exported[name]) == datetime.fromisoformat(json_row[name])


@pytest.fixture
async def engine(database: TestDatabase) -> AsyncIterator[AsyncEngine]:
    """An engine on this test's database, as the services create theirs."""
    created = create_engine(database.url)
    try:
        yield created
    finally:
        await created.dispose()


samples = Table(
    "export_samples",
    MetaData(schema="public"),
    Column("id", Integer, primary_key=True),
    Column("flag", Boolean),
    Column("at", DateTime(timezone=True)),
    Column("local_at", DateTime(timezone=False)),
    Column("day", Date),
    Column("note", Text),
)


async def test_nulls_infinities_plain_timestamps_and_formulas_in_any_csv(
    engine: AsyncEngine, db: asyncpg.Connection
) -> None:
    await db.execute(
        "CREATE TABLE public.export_samples (id int PRIMARY KEY, flag boolean, at timestamptz,"
        " local_at timestamp, day date, note text)"
    )
    await db.execute(
        "INSERT INTO public.export_samples VALUES"
        " (1, true, '2026-01-02 03:04:05+00', '2026-01-02 03:04:05.5', '2026-01-02', '=1+1'),"
        " (2, false, 'infinity', '-infinity', NULL, E'\\tx'),"
        " (3, NULL, NULL, NULL, NULL, 'a=b'),"
        " (4, NULL, NULL, NULL, NULL, '')"
    )

    response = await csv_export(
        engine, select(samples).order_by(samples.c.id), filename="s.csv", row_cap=10
    )
    body = b"".join([bytes(chunk) async for chunk in response.body_iterator])  # type: ignore[arg-type]

    assert csv_dicts(body) == [
        {
            "id": "1",
            "flag": "true",
            "at": "2026-01-02T03:04:05Z",
            "local_at": "2026-01-02T03:04:05.5",
            "day": "2026-01-02",
            "note": "'=1+1",
        },
        {
            "id": "2",
            "flag": "false",
            "at": "infinity",
            "local_at": "-infinity",
            "day": "",
            "note": "'\tx",
        },
        {"id": "3", "flag": "", "at": "", "local_at": "", "day": "", "note": "a=b"},
        {"id": "4", "flag": "", "at": "", "local_at": "", "day": "", "note": ""},
    ]
