"""A bulk file writes its table without the indexes that enforce nothing and builds them again
after: the same indexes come back, keys and uniqueness are still enforced, and a failed load
keeps the old indexes. It also analyses the table, so the planner knows the table it wrote."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from flows.generator import GenerateRequest, generate
from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from flows.silver.bulk_indexes import rebuilt_after, secondary_indexes
from flows.steps import PipelineSteps
from shared.database import asyncpg_dsn
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.generator.lake_files import AS_OF
from tests.flows.silver.test_whole_marks import _history, _next_day_as_bulk_file, _no_marts

# Every index of a table: name -> (oid, definition). A rebuilt index has a new oid.
_INDEXES = """
    SELECT c.relname AS name, i.indexrelid::oid AS oid, pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = $1::regclass AND i.indisvalid
"""


async def _indexes(connection: asyncpg.Connection, table: str) -> dict[str, tuple[int, str]]:
    rows = await connection.fetch(_INDEXES, table)
    return {row["name"]: (row["oid"], row["definition"]) for row in rows}


async def _analyses(connection: asyncpg.Connection, table: str) -> int:
    """How many times `table` was analysed by an ANALYZE statement (autovacuum's not counted)."""
    return int(
        await connection.fetchval(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relid = $1::regclass", table
        )
    )


async def _orders_of_customers_by_index(
    connection: asyncpg.Connection, *, index_only: bool
) -> list[tuple[str, int]]:
    """Orders per customer, read through orders_customer or by a sequential scan."""
    async with connection.transaction():
        if index_only:
            await connection.execute("SET LOCAL enable_seqscan = off")
        else:
            await connection.execute("SET LOCAL enable_indexscan = off")
            await connection.execute("SET LOCAL enable_bitmapscan = off")
        rows = await connection.fetch(
            """
            SELECT c.customer_id, (SELECT count(*) FROM silver.orders o
                                   WHERE o.customer_id = c.customer_id) AS orders
            FROM silver.customers c WHERE c.is_current ORDER BY 1
            """
        )
    return [(row["customer_id"], row["orders"]) for row in rows]


async def test_a_bulk_file_rebuilds_its_secondary_indexes_and_a_small_one_keeps_them(
    flow_settings: FlowSettings, database: TestDatabase
) -> None:
    dsn = asyncpg_dsn(database.role_url(Owner.FLOWS))
    await _history(flow_settings, days=2)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("ANALYZE silver.orders")
        analysed = await _analyses(connection, "silver.orders")
        before = await _indexes(connection, "silver.orders")
        assert {"orders_pkey", "orders_customer", "orders_order_day", "orders_loaded"} <= set(
            before
        )
        await _next_day_as_bulk_file(flow_settings)

        # The bulk file analysed the table it wrote: the planner knows its new size.
        assert await _analyses(connection, "silver.orders") == analysed + 1
        assert await connection.fetchval(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = 'silver.orders'::regclass"
        ) == await connection.fetchval("SELECT count(*) FROM silver.orders")

        after = await _indexes(connection, "silver.orders")
        assert {name: d for name, (_, d) in after.items()} == {
            name: d for name, (_, d) in before.items()
        }
        assert after["orders_pkey"][0] == before["orders_pkey"][0], "the key was kept"
        for name in ("orders_customer", "orders_order_day", "orders_loaded"):
            assert after[name][0] != before[name][0], f"{name} was not rebuilt"
        # The rebuilt index finds what a sequential scan finds.
        assert await _orders_of_customers_by_index(
            connection, index_only=True
        ) == await _orders_of_customers_by_index(connection, index_only=False)

        # A small batch maintains the indexes as it writes, and leaves statistics to autovacuum.
        await connection.execute("ANALYZE silver.orders")
        analysed = await _analyses(connection, "silver.orders")
        generate(flow_settings, GenerateRequest(as_of=AS_OF + timedelta(days=1, minutes=5)))
        summary = await run_data_pipeline(flow_settings, steps=PipelineSteps(gold=_no_marts))
        [orders] = [file for file in summary.loaded if file.entity == "orders"]
        assert orders.inserted + orders.updated > 0
        assert await _indexes(connection, "silver.orders") == after
        assert await _analyses(connection, "silver.orders") == analysed
    finally:
        await connection.close()


_SCRATCH = """
    CREATE TABLE public.scratch (id int PRIMARY KEY, code text, at timestamptz, note text);
    CREATE UNIQUE INDEX scratch_code ON public.scratch (code) WHERE note IS NULL;
    CREATE INDEX scratch_day ON public.scratch ((at AT TIME ZONE 'UTC')) WHERE id > 10;
    COMMENT ON INDEX public.scratch_day IS 'days of ''scratch'' rows';
    CREATE INDEX scratch_note ON public.scratch USING hash (note);
"""


@pytest.fixture
async def scratch(database: TestDatabase) -> asyncpg.Connection:
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    await connection.execute(_SCRATCH)
    yield connection
    await connection.close()


async def _insert_in_savepoint(connection: asyncpg.Connection, statement: str) -> None:
    async with connection.transaction():
        await connection.execute(statement)


async def _bulk_insert(connection: asyncpg.Connection, statement: str) -> None:
    async with (
        connection.transaction(),
        rebuilt_after(connection, "public.scratch", bulk=True),
    ):
        await connection.execute(statement)


async def test_the_rebuilt_indexes_are_the_ones_that_enforce_nothing_exactly_as_they_were(
    scratch: asyncpg.Connection,
) -> None:
    before = await _indexes(scratch, "public.scratch")
    comment = "SELECT obj_description('public.scratch_day'::regclass, 'pg_class')"

    async with (
        scratch.transaction(),
        rebuilt_after(scratch, "public.scratch", bulk=True) as dropped,
    ):
        assert sorted(index.qualified for index in dropped) == [
            '"public"."scratch_day"',
            '"public"."scratch_note"',
        ]
        assert set(await _indexes(scratch, "public.scratch")) == {"scratch_pkey", "scratch_code"}
        await scratch.execute(
            "INSERT INTO public.scratch SELECT n, 'c' || n, now(), NULL FROM"
            " generate_series(1, 100) n"
        )
        with pytest.raises(asyncpg.UniqueViolationError):  # uniqueness still row by row
            await _insert_in_savepoint(scratch, "INSERT INTO public.scratch VALUES (101, 'c1')")

    after = await _indexes(scratch, "public.scratch")
    assert {n: d for n, (_, d) in after.items()} == {n: d for n, (_, d) in before.items()}
    assert after["scratch_code"][0] == before["scratch_code"][0]
    assert after["scratch_day"][0] != before["scratch_day"][0]
    assert await scratch.fetchval(comment) == "days of 'scratch' rows"


async def test_a_failed_bulk_write_keeps_the_old_indexes(scratch: asyncpg.Connection) -> None:
    before = await _indexes(scratch, "public.scratch")

    with pytest.raises(asyncpg.NotNullViolationError):
        await _bulk_insert(scratch, "INSERT INTO public.scratch (id) VALUES (NULL)")

    assert await _indexes(scratch, "public.scratch") == before


async def test_indexes_are_dropped_only_inside_a_transaction(scratch: asyncpg.Connection) -> None:
    with pytest.raises(RuntimeError, match="inside its transaction"):
        async with rebuilt_after(scratch, "public.scratch", bulk=True):
            pass
    assert len(await secondary_indexes(scratch, "public.scratch")) == 2
    async with rebuilt_after(scratch, "public.scratch", bulk=False) as dropped:
        assert dropped == []
