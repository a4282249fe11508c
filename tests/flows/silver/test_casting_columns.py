"""Without soft casts (PostgreSQL 15) a timestamp column whose every staged value casts is cast
directly, the others carefully; either way each row is typed and ruled as the careful cast
alone would have it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import asyncpg

from flows.silver import checks
from flows.silver.limits import number_limits
from flows.silver.load import _casting_columns
from flows.silver.staging import stage_raw_table
from flows.silver.tables import ORDERS
from shared.database import asyncpg_dsn
from tests.conftest import TestDatabase

HEADER = ["order_id", "customer_id", "order_date", "status", "channel", "region", "currency",
          "total_amount", "updated_at"]  # fmt: skip
ROWS = [
    ["O-1", "C-1", "2026-11-20T10:00:00Z", "placed", "web", "us-east", "USD", "10.00",
     "2026-11-20 10:05:00+02"],
    ["O-2", "C-1", "2026-11-20", "placed", "web", "us-east", "USD", "10.00", "20 Nov 2026"],
    ["O-3", "C-2", " 2026-02-28T23:59:59.5+05:30 ", "placed", "web", "us-east", "USD", "1.00",
     "2026-02-30T00:00:00Z"],
    ["O-4", "C-2", "2026-11-20T10:00:00Z", "placed", "web", "us-east", "USD", "1.00", "soon"],
    ["O-5", "C-3", "", "placed", "web", "us-east", "USD", "1.00", "infinity"],
]  # fmt: skip


async def _checked(connection: asyncpg.Connection, options: checks.CheckOptions) -> list[Any]:
    statement, args = checks.checked_rows(
        ORDERS, checks.StagedHeader.from_header(ORDERS, HEADER), options
    )
    async with connection.transaction():
        await connection.execute("DROP TABLE IF EXISTS stage_checked")
        await connection.execute(statement, *args)
        rows = await connection.fetch(
            "SELECT source_line, order_ts, updated_at, rule, message FROM stage_checked"
            " ORDER BY source_line"
        )
        await connection.execute("DROP TABLE stage_checked")
    return [tuple(row) for row in rows]


async def test_a_column_is_cast_directly_only_when_every_value_casts(
    database: TestDatabase,
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute("SET LOCAL TimeZone = 'UTC'")
        await connection.execute(stage_raw_table(len(HEADER), with_refused=False))
        columns = ", ".join(f"c{index}" for index in range(len(HEADER)))
        values = ", ".join(f"${number}" for number in range(1, len(HEADER) + 1))
        await connection.executemany(f"INSERT INTO stage_raw ({columns}) VALUES ({values})", ROWS)
        staged = checks.StagedHeader.from_header(ORDERS, HEADER)

        casting = await _casting_columns(connection, ORDERS, staged)

        careful = checks.CheckOptions(
            base_currency="USD", keep_extras=False, max_field_bytes=65_536,
            limits=await number_limits(connection, ORDERS), soft_casts=False,
        )  # fmt: skip
        direct = replace(careful, casting=casting)
        rows_careful = await _checked(connection, careful)
        rows_direct = await _checked(connection, direct)
        statement, _ = checks.checked_rows(ORDERS, staged, direct)
    finally:
        await transaction.rollback()
        await connection.close()
    assert casting == frozenset({"order_ts"})  # updated_at holds texts that do not cast
    assert '"order_ts__raw"::timestamptz' in statement  # order_date
    assert 'silver.try_timestamptz("updated_at__raw")' in statement
    assert rows_direct == rows_careful
    assert [row[3] for row in rows_direct] == [
        None, None, "BAD_TIMESTAMP", "BAD_TIMESTAMP", "MISSING_REQUIRED",
    ]  # fmt: skip
