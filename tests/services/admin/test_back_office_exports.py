"""CSV and XLSX exports: they open, hold every matching row, never hold a live formula, and a
too-large export is refused before streaming."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient
from openpyxl import load_workbook

from services.admin.app import create_app
from shared.exports import FORMULA_TRIGGERS, neutralise
from shared.identity import Role
from tests.conftest import TestDatabase
from tests.services.admin.back_office import CUSTOMERS, ENTITIES, PRODUCTS, Entity, as_role, create
from tests.services.admin.conftest import admin_settings
from tests.services.conftest import client_for

HOSTILE_NAMES = (
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(A1)",
    "-1+2",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
)


def csv_rows(content: bytes) -> list[list[str]]:
    """The rows of a CSV export, header first."""
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def xlsx_rows(content: bytes) -> list[tuple[Any, ...]]:
    """The rows of the only sheet of an XLSX export, header first."""
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    try:
        (sheet,) = workbook.worksheets
        return list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def live_formulas(rows: list[list[str]] | list[tuple[Any, ...]]) -> list[Any]:
    """Cells a spreadsheet would evaluate: text starting with a formula trigger."""
    return [
        cell
        for row in rows
        for cell in row
        if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS)
    ]


@pytest.mark.parametrize("text", HOSTILE_NAMES)
def test_neutralise_prefixes_every_formula_trigger(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert neutralise("plain") == "plain"


async def test_exports_carry_hostile_text_inert(
    admin_client: AsyncClient, db: asyncpg.Connection
) -> None:
    for number, name in enumerate(HOSTILE_NAMES):
        await create(admin_client, PRODUCTS, f"P-{number}", name=name, category="@risk")
    # Rows the pipeline writes bypass API validation; the export must still be safe.
    await db.execute(
        "INSERT INTO admin.customers (customer_id, first_name, last_name, email, country, city)"
        " VALUES ('=1+1', '+cmd', '-2', '@x@y.z', E'\\tGB', E'\\nLondon')"
    )
    editor = as_role(Role.EDITOR)

    product_csv = await admin_client.get(f"{PRODUCTS.url}/export/csv", headers=editor)
    assert product_csv.status_code == 200
    assert product_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="products.csv"' in product_csv.headers["content-disposition"]
    rows = csv_rows(product_csv.content)
    assert rows[0][:3] == ["product_id", "sku", "name"]
    assert len(rows) == 1 + len(HOSTILE_NAMES)
    assert live_formulas(rows) == []
    # Text is stored as sent ("\t=1+1" included) and neutralised on the way out.
    assert {row[2] for row in rows[1:]} == {"'" + name for name in HOSTILE_NAMES}

    product_xlsx = await admin_client.get(f"{PRODUCTS.url}/export/xlsx", headers=editor)
    assert product_xlsx.status_code == 200
    assert product_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert int(product_xlsx.headers["content-length"]) == len(product_xlsx.content)
    sheet = xlsx_rows(product_xlsx.content)
    assert len(sheet) == 1 + len(HOSTILE_NAMES)
    assert live_formulas(sheet) == []
    assert {row[3] for row in sheet[1:]} == {"'@risk"}

    for extension in ("csv", "xlsx"):
        response = await admin_client.get(f"{CUSTOMERS.url}/export/{extension}", headers=editor)
        table = csv_rows(response.content) if extension == "csv" else xlsx_rows(response.content)
        assert len(table) == 2
        assert live_formulas(table) == []
        assert table[1][0] == "'=1+1"


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda entity: entity.plural)
async def test_exports_follow_the_list_filters_and_sort(
    admin_client: AsyncClient, entity: Entity
) -> None:
    for key in ("K-1", "K-2", "K-3"):
        await create(admin_client, entity, key)
    editor = as_role(Role.EDITOR)
    params = {"q": "K-2"} if entity is not PRODUCTS else {"q": "SKU-K-2"}
    csv_export = await admin_client.get(f"{entity.url}/export/csv", params=params, headers=editor)
    assert [row[0] for row in csv_rows(csv_export.content)] == [entity.key, "K-2"]
    ordered = await admin_client.get(
        f"{entity.url}/export/xlsx", params={"sort": f"-{entity.key}"}, headers=editor
    )
    assert [row[0] for row in xlsx_rows(ordered.content)] == [entity.key, "K-3", "K-2", "K-1"]
    bad_sort = await admin_client.get(
        f"{entity.url}/export/csv", params={"sort": "secret"}, headers=editor
    )
    assert bad_sort.status_code == 422


async def test_an_export_over_the_row_cap_is_refused_before_streaming(
    database: TestDatabase, tmp_path: Path
) -> None:
    app = create_app(admin_settings(database, tmp_path, export_max_rows=2))
    async for client in client_for(app):
        for key in ("P-1", "P-2", "P-3"):
            await create(client, PRODUCTS, key)
        for extension in ("csv", "xlsx"):
            response = await client.get(
                f"{PRODUCTS.url}/export/{extension}", headers=as_role(Role.EDITOR)
            )
            assert response.status_code == 422
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["title"] == "Export too large"
            assert "exceed 2 rows" in problem["detail"]
            assert "filters" in problem["detail"]
        narrowed = await client.get(
            f"{PRODUCTS.url}/export/csv",
            params={"q": "SKU-P-1"},
            headers=as_role(Role.EDITOR),
        )
        assert narrowed.status_code == 200
        assert len(csv_rows(narrowed.content)) == 2


async def test_an_empty_export_is_just_the_header(admin_client: AsyncClient) -> None:
    editor = as_role(Role.EDITOR)
    csv_export = await admin_client.get(f"{PRODUCTS.url}/export/csv", headers=editor)
    assert len(csv_rows(csv_export.content)) == 1
    xlsx_export = await admin_client.get(f"{PRODUCTS.url}/export/xlsx", headers=editor)
    assert len(xlsx_rows(xlsx_export.content)) == 1


@pytest.mark.slow
async def test_100k_orders_export_completely_as_csv_and_xlsx(
    admin_client: AsyncClient, db: asyncpg.Connection
) -> None:
    await db.execute(
        """
        INSERT INTO admin.orders (order_id, customer_id, order_date, status, channel, region,
                                  currency, total_amount)
        SELECT 'O' || lpad(n::text, 6, '0'), 'C' || lpad((n % 500)::text, 5, '0'),
               timestamptz '2026-01-01' + n * interval '1 minute',
               (ARRAY['placed', 'paid', 'shipped', 'delivered', 'cancelled'])[1 + n % 5],
               (ARRAY['web', 'mobile', 'stockist', 'distributor'])[1 + n % 4],
               (ARRAY['north', 'south', 'east', 'west'])[1 + n % 4],
               'USD', (n % 20000) / 100.0
        FROM generate_series(1, 100000) AS n
        """
    )
    editor = as_role(Role.EDITOR)

    csv_export = await admin_client.get("/api/admin/orders/export/csv", headers=editor)
    assert csv_export.status_code == 200
    rows = csv_rows(csv_export.content)
    assert len(rows) == 1 + 100_000
    assert len({row[0] for row in rows[1:]}) == 100_000

    xlsx_export = await admin_client.get("/api/admin/orders/export/xlsx", headers=editor)
    assert xlsx_export.status_code == 200
    sheet = xlsx_rows(xlsx_export.content)
    assert len(sheet) == 1 + 100_000
    assert sheet[0][0] == "order_id"
    assert sheet[1][0] == "O100000"  # newest order first, the list's default order
