"""A bulk file writes its table without its indexes and builds them again after: the same
indexes come back, a duplicate key fails the load when its key is rebuilt, an index that a
foreign key references stays, and a failed load keeps the old indexes. It also analyses the
table, so the planner knows the table it wrote."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from flows.generator import GenerateRequest, generate
from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from flows.silver.bulk_indexes import rebuildable_indexes, rebuilt_after
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


async def test_a_bulk_file_rebuilds_its_indexes_and_a_small_one_keeps_them(
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
        for name in ("orders_pkey", "orders_customer", "orders_order_day", "orders_loaded"):
            assert after[name][0] != before[name][0], f"{name} was not rebuilt"
        # The rebuilt key is the key again.
        with pytest.raises(asyncpg.UniqueViolationError):
            await connection.execute(
                "INSERT INTO silver.orders SELECT * FROM silver.orders LIMIT 1"
            )
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
    COMMENT ON CONSTRAINT scratch_pkey ON public.scratch IS 'the ''scratch'' key';
    CREATE UNIQUE INDEX scratch_code ON public.scratch (code) WHERE note IS NULL;
    CREATE INDEX scratch_day ON public.scratch ((at AT TIME ZONE 'UTC')) WHERE id > 10;
    COMMENT ON INDEX public.scratch_day IS 'days of ''scratch'' rows';
    CREATE INDEX scratch_note ON public.scratch USING hash (note);
"""
_COMMENTS = """
    SELECT obj_description('public.scratch_day'::regclass, 'pg_class'),
        obj_description((SELECT oid FROM pg_constraint WHERE conname = 'scratch_pkey'),
                        'pg_constraint')
"""


@pytest.fixture
async def scratch(database: TestDatabase) -> asyncpg.Connection:
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    await connection.execute(_SCRATCH)
    yield connection
    await connection.close()


async def _bulk_insert(connection: asyncpg.Connection, statement: str) -> None:
    async with (
        connection.transaction(),
        rebuilt_after(connection, "public.scratch", bulk=True),
    ):
        await connection.execute(statement)


async def test_the_rebuilt_indexes_are_exactly_as_they_were(scratch: asyncpg.Connection) -> None:
    before = await _indexes(scratch, "public.scratch")

    async with (
        scratch.transaction(),
        rebuilt_after(scratch, "public.scratch", bulk=True) as dropped,
    ):
        assert [index.qualified for index in dropped] == [  # the key first
            '"public"."scratch_pkey"',
            '"public"."scratch_code"',
            '"public"."scratch_day"',
            '"public"."scratch_note"',
        ]
        assert await _indexes(scratch, "public.scratch") == {}
        await scratch.execute(
            "INSERT INTO public.scratch SELECT n, 'c' || n, now(), NULL FROM"
            " generate_series(1, 100) n"
        )

    after = await _indexes(scratch, "public.scratch")
    assert {n: d for n, (_, d) in after.items()} == {n: d for n, (_, d) in before.items()}
    assert all(after[name][0] != before[name][0] for name in before)
    assert tuple(await scratch.fetchrow(_COMMENTS)) == (
        "days of 'scratch' rows",
        "the 'scratch' key",
    )
    assert (
        await scratch.fetchval(
            "SELECT contype::text FROM pg_constraint WHERE conname = 'scratch_pkey'"
        )
        == "p"
    )


@pytest.mark.parametrize(
    "duplicate",
    ["(1, 'other')", "(2, 'c1')"],  # the primary key; the unique index
)
async def test_a_duplicate_written_in_bulk_fails_when_its_key_is_rebuilt(
    scratch: asyncpg.Connection, duplicate: str
) -> None:
    await scratch.execute("INSERT INTO public.scratch VALUES (1, 'c1')")
    before = await _indexes(scratch, "public.scratch")

    with pytest.raises(asyncpg.UniqueViolationError):
        await _bulk_insert(scratch, f"INSERT INTO public.scratch VALUES {duplicate}")

    assert await _indexes(scratch, "public.scratch") == before
    assert await scratch.fetchval("SELECT count(*) FROM public.scratch") == 1


async def test_an_index_a_foreign_key_references_stays(scratch: asyncpg.Connection) -> None:
    await scratch.execute(
        "CREATE TABLE public.scratch_child (scratch_id int REFERENCES public.scratch (id))"
    )
    before = await _indexes(scratch, "public.scratch")

    async with (
        scratch.transaction(),
        rebuilt_after(scratch, "public.scratch", bulk=True) as dropped,
    ):
        assert "scratch_pkey" in await _indexes(scratch, "public.scratch")

    assert '"public"."scratch_pkey"' not in [index.qualified for index in dropped]
    after = await _indexes(scratch, "public.scratch")
    assert after["scratch_pkey"] == before["scratch_pkey"]
    assert after["scratch_code"][0] != before["scratch_code"][0]


async def test_a_failed_bulk_write_keeps_the_old_indexes(scratch: asyncpg.Connection) -> None:
    before = await _indexes(scratch, "public.scratch")

    with pytest.raises(asyncpg.NotNullViolationError):
        await _bulk_insert(scratch, "INSERT INTO public.scratch (id) VALUES (NULL)")

    assert await _indexes(scratch, "public.scratch") == before


async def test_indexes_are_dropped_only_inside_a_transaction(scratch: asyncpg.Connection) -> None:
    with pytest.raises(RuntimeError, match="inside its transaction"):
        async with rebuilt_after(scratch, "public.scratch", bulk=True):
            pass
    assert len(await rebuildable_indexes(scratch, "public.scratch")) == 4
    async with rebuilt_after(scratch, "public.scratch", bulk=False) as dropped:
        assert dropped == []
