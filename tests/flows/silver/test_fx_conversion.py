"""Amounts convert to the base currency at the rate of their own currency, on or before their
own business date."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from flows.silver import checks
from flows.silver.rules import NO_FX_RATE
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


@pytest.mark.parametrize("rates_by_day", [True, False], ids=["day-table", "row-by-row"])
async def test_each_order_takes_the_latest_rate_on_or_before_its_day_or_is_rejected(
    rates_by_day: bool,
    flow_settings: FlowSettings,
    lake: ObjectStore,
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The rates of every day are joined when they fit `FX_DAYS_LIMIT`, else looked up row by
    # row: both must pick the same rate, including past the last rate and before the first.
    if not rates_by_day:
        monkeypatch.setattr(checks, "FX_DAYS_LIMIT", 0)
    land_rows(
        lake,
        "fx_rates",
        "rates",
        [
            rate("EUR", "2026-11-18", "1.100000"),
            rate("EUR", "2026-11-25", "1.500000"),
            rate("GBP", "2026-11-20", "1.300000"),
        ],
    )
    day = {
        "eur-before-first": ("EUR", "2026-11-17T23:59:59Z"),
        "eur-first-day": ("EUR", "2026-11-18T00:00:00Z"),
        "eur-between": ("EUR", "2026-11-24T23:00:00-05:00"),  # 11-25 in UTC
        "eur-after-last": ("EUR", "2027-03-01T10:00:00Z"),
        "gbp-before-first": ("GBP", "2026-11-19T10:00:00Z"),
        "gbp-after-last": ("GBP", "2026-11-30T10:00:00Z"),
        "jpy-no-rates": ("JPY", "2026-11-19T10:00:00Z"),
        "usd-base": ("USD", "2020-01-01T10:00:00Z"),
    }
    land_rows(
        lake,
        "orders",
        "mixed",
        [
            order_row(key, currency=currency, order_date=stamp, updated_at=stamp)
            for key, (currency, stamp) in day.items()
        ],
    )

    await run_data_pipeline(flow_settings)

    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        rates = dict(await connection.fetch("SELECT order_id, fx_rate FROM silver.orders"))
        rejects = await connection.fetch(
            "SELECT raw_row->>'order_id' AS order_id, rule FROM silver.rejects ORDER BY 1"
        )
    finally:
        await connection.close()
    assert rates == {
        "eur-first-day": Decimal("1.100000"),
        "eur-between": Decimal("1.500000"),
        "eur-after-last": Decimal("1.500000"),
        "gbp-after-last": Decimal("1.300000"),
        "usd-base": Decimal("1"),
    }
    assert [tuple(r) for r in rejects] == [
        ("eur-before-first", NO_FX_RATE),
        ("gbp-before-first", NO_FX_RATE),
        ("jpy-no-rates", NO_FX_RATE),
    ]
