"""Number limits come from the migrated column types, and the checks match them exactly."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from flows.silver.checks import quote, typed_number
from flows.silver.limits import number_limits
from flows.silver.tables import FX_RATES, ORDER_ITEMS, ORDERS, SUPPORT_INTERACTIONS, Column
from shared.database import asyncpg_dsn
from tests.conftest import TestDatabase

TEXTS = [
    "0", "1.5", "999999999999.99", "-999999999999.99", "1000000000000", "1000000000000.00",
    "0001.50", "1.000", "1.005", "12.3400", "-0.001", "99.99", "100", "9999.995",
    "2147483647", "2147483648", "-2147483648", "-2147483649", "0002147483647", "9" * 400,
    "32767", "32768",
]  # fmt: skip


async def test_limits_are_read_from_the_declared_column_types(database: TestDatabase) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        orders = await number_limits(connection, ORDERS)
        items = await number_limits(connection, ORDER_ITEMS)
        support = await number_limits(connection, SUPPORT_INTERACTIONS)
        rates = await number_limits(connection, FX_RATES)
    finally:
        await connection.close()
    assert orders["total_amount"].sql_type == "numeric(14,2)"
    assert orders["total_amount_base"].sql_type == "numeric(14,2)"
    assert (orders["total_amount"].integer_digits, orders["total_amount"].scale) == (12, 2)
    assert support["sentiment"].describe().startswith("numeric(6,2) (at most 4 digits")
    assert rates["rate"].sql_type == "numeric(18,6)"
    assert (items["quantity"].minimum, items["quantity"].maximum) == (-(2**31), 2**31 - 1)
    assert "order_item_id" not in items


@pytest.mark.parametrize(
    ("table", "column", "sql_type"),
    [
        (ORDERS, "total_amount", "numeric(14,2)"),
        (SUPPORT_INTERACTIONS, "sentiment", "numeric(6,2)"),
        (FX_RATES, "rate", "numeric(18,6)"),
        (ORDER_ITEMS, "quantity", "integer"),
    ],
)
async def test_a_number_is_typed_exactly_when_its_column_holds_it_unrounded(
    table: object, column: str, sql_type: str, database: TestDatabase
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        limit = (await number_limits(connection, table))[column]  # type: ignore[arg-type]
        checked = typed_number(Column(column), limit).replace(quote(f"{column}__raw"), "$1::text")
        for text in TEXTS:
            try:
                stored = await connection.fetchval(f"SELECT $1::numeric::{sql_type}", text)
                fits = Decimal(stored) == Decimal(text)
            except (asyncpg.NumericValueOutOfRangeError, asyncpg.DataError):
                fits = False
            # An integer column takes whole-number text only ("1.000" is not a whole number).
            fits = fits and (not limit.is_integer or text.lstrip("+-").isdigit())
            typed = await connection.fetchval(f"SELECT {checked}", text)
            assert (typed is not None) == fits, f"{text} in {sql_type}"
            assert typed is None or Decimal(typed) == Decimal(text), text
    finally:
        await connection.close()


async def test_a_statement_with_careful_casts_is_never_planned_in_parallel(
    database: TestDatabase,
) -> None:
    """An exception block opens a subtransaction, which no process may open during a parallel
    operation, the leader included: the careful casts are PARALLEL UNSAFE (migration 0014), so a
    statement using them runs without workers, however cheap the planner is told they are, and
    a text that does not cast becomes NULL."""
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute(
            "CREATE UNLOGGED TABLE public.parallel_texts AS SELECT g, CASE WHEN g % 1000 = 0"
            " THEN 'not a time' ELSE '2026-01-01' END AS text"
            " FROM generate_series(1, 200000) AS g"
        )
        await connection.execute("ANALYZE public.parallel_texts")
        for setting in (
            "parallel_setup_cost = 0", "parallel_tuple_cost = 0",
            "min_parallel_table_scan_size = 0", "max_parallel_workers_per_gather = 2",
        ):  # fmt: skip
            await connection.execute(f"SET LOCAL {setting}")
        plain = "SELECT count(text::date) FROM public.parallel_texts WHERE g % 1000 <> 0"
        careful = (
            "SELECT count(silver.try_timestamptz(text)) AS times,"
            " count(silver.try_date(text)) AS days,"
            " count(silver.try_jsonb(text)) AS documents FROM public.parallel_texts"
        )
        plain_plan = "\n".join(row[0] for row in await connection.fetch(f"EXPLAIN {plain}"))
        plan = "\n".join(row[0] for row in await connection.fetch(f"EXPLAIN {careful}"))
        # fetch, not fetchrow: a query fetched a row at a time never runs in parallel.
        [counts] = await connection.fetch(careful)
    finally:
        await transaction.rollback()
        await connection.close()
    assert "Parallel Seq Scan" in plain_plan  # the settings do plan workers
    assert "Parallel" not in plan
    assert dict(counts) == {"times": 199_800, "days": 199_800, "documents": 0}
