"""Amounts convert to the base currency at the rate of their own currency, on or before their
own business date."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from shared.database import asyncpg_dsn
from shared.objectstore import ObjectStore
from tests.conftest import TestDatabase
from tests.flows.entity_csv import land_rows
from tests.flows.orders_csv import order_row


def rate(currency: str, day: str, value: str) -> dict[str, str]:
    return {
        "rate_date": day,
        "currency": currency,
        "base_currency": "USD",
        "rate": value,
        "updated_at": f"{day}T00:00:00Z",
    }


async def test_amounts_convert_at_their_own_currency_rate_of_their_own_day(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    # GBP sorts after EUR and 2026-11-25 after the business dates: a lookup that lost track of
    # the row's currency or date would pick one of them.
    land_rows(
        lake,
        "fx_rates",
        "rates",
        [
            rate("EUR", "2026-11-18", "1.100000"),
            rate("GBP", "2026-11-18", "1.300000"),
            rate("EUR", "2026-11-25", "1.500000"),
            rate("GBP", "2026-11-25", "1.700000"),
        ],
    )
    land_rows(
        lake,
        "orders",
        "eur",
        [order_row("o-1", currency="EUR", total_amount="100.00", customer_id="C1")],
    )
    payment = {
        "payment_id": "p-1",
        "order_id": "o-1",
        "method": "card",
        "status": "captured",
        "amount": "100.00",
        "currency": "EUR",
        "updated_at": "2026-11-19T10:05:00Z",
    }
    land_rows(lake, "payments", "eur", [payment])

    await run_data_pipeline(flow_settings)

    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        order = await connection.fetchrow("SELECT fx_rate, total_amount_base FROM silver.orders")
        paid = await connection.fetchrow("SELECT fx_rate, amount_base FROM silver.payments")
    finally:
        await connection.close()
    assert tuple(order) == (Decimal("1.100000"), Decimal("110.00"))
    assert tuple(paid) == (Decimal("1.100000"), Decimal("110.00"))
