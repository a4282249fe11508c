"""A full build of a mart that asks for it (`Mart.truncate_on_full`) empties the mart with
TRUNCATE: the same rows as a delete would publish, new files, and the old mart kept whole when
the build fails; a reader holding the mart makes it delete instead of waiting on."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest

from flows.gold import GoldBuildError, MartBuild, build_marts
from flows.gold import build as gold_build
from flows.gold.marts import MART_BY_NAME
from shared.database import asyncpg_dsn
from shared.owners import PIPELINE_ROLE
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter, one_order_a_day

FIRST_DAY = datetime(2026, 11, 1, 12, tzinfo=UTC)
REVENUE = "SELECT order_date, orders, net_revenue FROM admin.mart_daily_revenue ORDER BY 1"
FILES = "SELECT pg_relation_filenode('admin.mart_daily_revenue')"
TRUNCATING = replace(MART_BY_NAME["mart_daily_revenue"], truncate_on_full=True)


@pytest.fixture
async def truncatable(database: TestDatabase) -> TestDatabase:
    """The test database with TRUNCATE on the revenue mart granted to the pipeline, as the
    loyalty service's migration grants it on the recommendations."""
    await database.fetch(f"GRANT TRUNCATE ON admin.mart_daily_revenue TO {PIPELINE_ROLE}")
    return database


async def _build_truncating(dsn: str) -> MartBuild:
    connection = await asyncpg.connect(dsn)
    try:
        [built] = await build_marts(connection, (TRUNCATING,), uuid.uuid4(), "USD", full=True)
    finally:
        await connection.close()
    return built


async def _files(database: TestDatabase) -> object:
    [(filenode,)] = await database.rows(FILES)
    return filenode


async def test_a_truncating_full_build_publishes_what_a_deleting_one_does_in_new_files(
    silver: SilverWriter, pipeline_dsn: str, truncatable: TestDatabase
) -> None:
    await one_order_a_day(silver, FIRST_DAY, 3)
    first = await _build_truncating(pipeline_dsn)
    before = await _files(truncatable)
    await silver.add("orders", order_id="O-more", customer_id="C-9", order_ts=FIRST_DAY,
                     total_amount=Decimal("5.00"))  # fmt: skip

    second = await _build_truncating(pipeline_dsn)

    assert await _files(truncatable) != before  # TRUNCATE gave the mart new files
    assert (first.rows, second.rows) == (3, 3)
    assert (await truncatable.rows(REVENUE))[0][1:] == (2, Decimal("15.00"))
    [(recorded,)] = await truncatable.rows(
        "SELECT rows FROM ops.mart_builds WHERE mart = 'mart_daily_revenue'"
    )
    assert recorded == 3
    # The session's lock timeout is back to what it was once the mart is emptied.
    connection = await asyncpg.connect(pipeline_dsn)
    try:
        async with connection.transaction():
            await gold_build._empty(connection, TRUNCATING)
            assert await connection.fetchval("SHOW lock_timeout") == "0"
    finally:
        await connection.close()


async def test_a_failed_truncating_build_leaves_the_old_mart_whole(
    silver: SilverWriter,
    pipeline_dsn: str,
    truncatable: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await one_order_a_day(silver, FIRST_DAY, 3)
    await _build_truncating(pipeline_dsn)
    published = await truncatable.rows(REVENUE)
    files = await _files(truncatable)
    original = gold_build.load_sql
    sql = original("mart_daily_revenue")
    # The first day twice: the primary key refuses the insert after the mart was truncated.
    doubled = (
        f"SELECT * FROM ({sql}) AS b UNION ALL (SELECT * FROM ({sql}) AS d ORDER BY 1 LIMIT 1)"  # nosec B608 # test SQL
    )
    monkeypatch.setattr(gold_build, "load_sql", lambda name: doubled)

    with pytest.raises(GoldBuildError, match=r"unique\(order_date, channel, region\)"):
        await _build_truncating(pipeline_dsn)

    assert await truncatable.rows(REVENUE) == published
    assert await _files(truncatable) == files


async def test_a_reader_holding_the_mart_makes_the_build_delete_instead(
    silver: SilverWriter,
    pipeline_dsn: str,
    truncatable: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(gold_build, "TRUNCATE_LOCK_WAIT", "300ms")
    await one_order_a_day(silver, FIRST_DAY, 3)
    await _build_truncating(pipeline_dsn)
    files = await _files(truncatable)
    published = await truncatable.rows(REVENUE)
    await silver.add("orders", order_id="O-more", customer_id="C-9", order_ts=FIRST_DAY,
                     total_amount=Decimal("5.00"))  # fmt: skip
    reader = await asyncpg.connect(asyncpg_dsn(truncatable.url))
    try:
        # A long report: its transaction holds the mart (ACCESS SHARE) while the build runs.
        # A TRUNCATE would wait for it to end; the build deletes instead and finishes first.
        async with reader.transaction(isolation="repeatable_read"):
            await reader.fetch(REVENUE)
            built = await asyncio.wait_for(_build_truncating(pipeline_dsn), timeout=30)
            seen = await reader.fetch(REVENUE)
    finally:
        await reader.close()

    assert [tuple(row) for row in seen] == published  # the report read the old rows throughout
    assert built.rows == 3
    assert await _files(truncatable) == files  # deleted, not truncated
    assert (await truncatable.rows(REVENUE))[0][1:] == (2, Decimal("15.00"))
    assert "deleting its rows instead of truncating" in caplog.text


async def test_a_mart_declaring_work_mem_builds_with_it_and_gives_it_back(
    silver: SilverWriter, pipeline_dsn: str
) -> None:
    seen = []

    async def note_memory(connection: asyncpg.Connection) -> None:
        seen.append(await connection.fetchval("SHOW work_mem"))

    declaring = replace(TRUNCATING, truncate_on_full=False, work_mem="48MB", prepare=note_memory)
    await one_order_a_day(silver, FIRST_DAY, 2)
    connection = await asyncpg.connect(pipeline_dsn)
    try:
        before = await connection.fetchval("SHOW work_mem")
        [built] = await build_marts(connection, (declaring,), uuid.uuid4(), "USD", full=True)
        after = await connection.fetchval("SHOW work_mem")
    finally:
        await connection.close()
    assert built.rows == 2
    assert seen == ["48MB"]
    assert after == before != "48MB"


async def test_a_parallel_mart_with_a_length_limited_column_is_refused_and_left_as_it_was(
    silver: SilverWriter, pipeline_dsn: str, truncatable: TestDatabase
) -> None:
    """A cast to character(3) cuts 'EURO' to 'EUR' where an insert refuses it, so a mart with
    such a column cannot write its candidate by CREATE TABLE AS."""
    await one_order_a_day(silver, FIRST_DAY, 2)
    await _build_truncating(pipeline_dsn)
    published = await truncatable.rows(REVENUE)
    parallel = replace(TRUNCATING, parallel=True)
    connection = await asyncpg.connect(pipeline_dsn)
    try:
        with pytest.raises(RuntimeError, match="cast would cut currency short"):
            await build_marts(connection, (parallel,), uuid.uuid4(), "USD", full=True)
    finally:
        await connection.close()
    assert await truncatable.rows(REVENUE) == published


def test_work_tables_are_the_prepare_steps_and_in_the_pipelines_schema() -> None:
    async def fill(connection: asyncpg.Connection) -> None:
        pass

    with pytest.raises(ValueError, match="filled by a prepare step"):
        replace(TRUNCATING, work_tables=("ops.gold_scratch",))
    with pytest.raises(ValueError, match="belong in ops"):
        replace(TRUNCATING, prepare=fill, work_tables=("public.gold_scratch",))
    assert replace(TRUNCATING, prepare=fill, work_tables=("ops.gold_scratch",)).work_tables


async def test_a_parallel_candidate_takes_the_marts_types_as_an_insert_would(
    database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CREATE TABLE AS would keep the query's own types (an unrounded numeric, an integer);
    the casts give the candidate the mart's, as inserting into a copy of the mart does."""
    monkeypatch.setattr(gold_build, "load_sql", lambda _: "SELECT 1.23456 AS amount, 7 AS n")
    typed = replace(TRUNCATING, table="ops.typed", parallel=True)
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    transaction = connection.transaction()  # rolled back: nothing stays
    await transaction.start()
    try:
        await connection.execute("CREATE TABLE ops.typed (amount numeric(6, 2), n smallint)")
        columns = await gold_build._mart_columns(connection, typed.table)
        rows = await gold_build._fill_candidate(connection, typed, "typed_candidate", columns)
        found = await connection.fetchrow(
            "SELECT amount, pg_typeof(amount)::text AS numeric, scale(amount) AS scale,"
            " pg_typeof(n)::text AS integer FROM typed_candidate"
        )
    finally:
        await transaction.rollback()
        await connection.close()
    assert rows == 1
    assert dict(found or {}) == {
        "amount": Decimal("1.23"),
        "numeric": "numeric",
        "scale": 2,
        "integer": "smallint",
    }
