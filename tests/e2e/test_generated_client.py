"""A Python client generated from the gateway's merged OpenAPI document, used as an app developer
would: default generator settings, every answer typed, through the gateway to real services.

The client is generated into the test's temporary directory; nothing generated is committed.
"""

from __future__ import annotations

import importlib
import io
import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from shared.identity import Role, issue_token
from tests.conftest import TestDatabase
from tests.e2e.conftest import JWT_SECRET
from tests.generators import run_generator
from tests.services.loyalty.marts import DEFAULTS as LOYALTY_DEFAULTS
from tests.services.loyalty.marts import summary
from tests.services.mart_rows import mart_writer

PACKAGE = "ecom_platform_api_client"


@pytest.fixture
def generated(gateway_url: str, tmp_path: Path) -> Iterator[tuple[ModuleType, str]]:
    """The client package generated from the gateway's merged document, and the generator's
    output; its modules leave `sys.modules` afterwards."""
    document = httpx.get(f"{gateway_url}/api/openapi.json", timeout=30)
    assert document.status_code == 200, document.text
    source = tmp_path / "openapi.json"
    source.write_bytes(document.content)
    output = run_generator(
        "openapi-python-client", "generate", "--path", str(source), "--output-path",
        str(tmp_path / "client"),
    )  # fmt: skip
    sys.path.insert(0, str(tmp_path / "client"))
    try:
        yield importlib.import_module(PACKAGE), output
    finally:
        sys.path.remove(str(tmp_path / "client"))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


REVENUE_DEFAULTS = {
    "mart_daily_revenue": {
        "channel": "web", "region": "north", "cancelled_orders": 0, "currency": "USD",
        "returned_orders": 0,
    }
}  # fmt: skip
REVENUE_ROWS = [(date(2026, 11, 1), 2, "40.00"), (date(2026, 11, 2), 1, "12.50")]


async def _write_marts(database: TestDatabase) -> None:
    async for admin in mart_writer(database, "admin", REVENUE_DEFAULTS):
        for day, orders, revenue in (
            (date(2026, 11, 1), 2, "40.00"),
            (date(2026, 11, 2), 1, "12.50"),
        ):
            await admin.add(
                "mart_daily_revenue", order_date=day, orders=orders, units=orders,
                net_revenue=Decimal(revenue), average_order_value=Decimal(revenue) / orders,
            )  # fmt: skip
    async for marts in mart_writer(database, "loyalty", LOYALTY_DEFAULTS):
        await summary(marts, "C0000042", "loyal", "120.00", 4, 12)


async def test_a_client_generated_from_the_merged_document_types_every_answer(
    database: TestDatabase, gateway_url: str, generated: tuple[ModuleType, str]
) -> None:
    package, output = generated
    await _write_marts(database)
    models = _module("models")
    problem = models.Problem
    editor = package.AuthenticatedClient(
        base_url=gateway_url, token=issue_token(JWT_SECRET, Role.EDITOR, "e2e-editor")
    )

    # The generator said nothing but what it generated: no warnings, no skipped operations.
    assert output.strip() == f"Generating {Path(str(package.__file__)).parent.parent}"

    revenue = _module("api.admin_kpis.admin_list_daily_revenue").sync_detailed(
        client=editor, from_=date(2026, 11, 2)
    )
    assert isinstance(revenue.parsed, models.AdminPageDailyRevenuePublic), revenue.content
    assert [(row.order_date, row.orders) for row in revenue.parsed.data] == [(date(2026, 11, 2), 1)]

    loyalty = _module("api.loyalty_customers.loyalty_get_customer").sync_detailed(
        "C0000042", client=editor
    )
    assert isinstance(loyalty.parsed, models.LoyaltyCustomerLoyaltyPublic), loyalty.content
    assert (loyalty.parsed.customer_id, loyalty.parsed.segment) == ("C0000042", "loyal")

    configurations = "api.reminders_configurations."
    created = _module(configurations + "reminders_create_configuration").sync_detailed(
        client=editor,
        body=models.RemindersPreferenceCreate(
            scope=models.RemindersReminderScope.CUSTOMER,
            customer_id="C0000042",
            channel=models.RemindersReminderChannel.EMAIL,
            cadence_days=14,
            timezone=models.TimeZone.ETC_GMT_MINUS_1,
        ),
    )
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, models.RemindersPreferencePublic)
    assert created.parsed.timezone == "Etc/GMT-1"
    update = _module(configurations + "reminders_update_configuration")
    patched = update.sync_detailed(
        created.parsed.preference_id,
        client=editor,
        body=models.RemindersPreferenceUpdate(cadence_days=30),
        if_match=created.headers["etag"],
    )
    assert isinstance(patched.parsed, models.RemindersPreferencePublic), patched.content
    assert (patched.parsed.cadence_days, patched.parsed.version) == (30, 2)
    stale = update.sync_detailed(
        created.parsed.preference_id,
        client=editor,
        body=models.RemindersPreferenceUpdate(enabled=False),
        if_match=created.headers["etag"],
    )
    assert isinstance(stale.parsed, problem), stale.content
    assert (stale.status_code, stale.parsed.status) == (412, 412)

    missing = _module("api.admin_products.admin_get_product").sync_detailed(
        "no-such-product", client=editor
    )
    assert isinstance(missing.parsed, problem), missing.content
    assert (missing.parsed.status, missing.parsed.title) == (404, "Not Found")

    product = _module("api.admin_products.admin_create_product").sync_detailed(
        client=editor,
        body=models.AdminProductCreate(
            product_id="P-E2E",
            sku="SKU-E2E",
            name="=Grinder",
            category="equipment",
            price="89.00",
            currency="USD",
        ),
    )
    assert product.status_code == 201, product.content
    csv = _module("api.admin_products.admin_export_products_csv").sync_detailed(client=editor)
    assert isinstance(csv.parsed, str), csv.content
    assert "P-E2E,SKU-E2E,'=Grinder" in csv.parsed
    xlsx = _module("api.admin_products.admin_export_products_xlsx").sync_detailed(client=editor)
    assert isinstance(xlsx.parsed, _module("types").File), xlsx.content
    sheet = load_workbook(io.BytesIO(xlsx.parsed.payload.read())).active
    assert [cell.value for cell in sheet[2]][:3] == ["P-E2E", "SKU-E2E", "'=Grinder"]
