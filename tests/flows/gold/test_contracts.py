"""Data contracts: a mart that breaks its contract is not published, the old mart stays readable,
and the failing rows are kept in ops.quality_results."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest

from flows.gold import GoldBuildError, Mart
from flows.gold import build as gold_build
from flows.gold.contracts import (
    AcceptedValues,
    CheckContext,
    Expression,
    NotNull,
    Range,
    Unique,
    run_contract,
    unique_checks_proven,
)
from shared.database import asyncpg_dsn
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter, build, one_order_a_day

FIRST_DAY = datetime(2026, 11, 1, 12, tzinfo=UTC)
REVENUE = "SELECT order_date, orders, net_revenue FROM admin.mart_daily_revenue ORDER BY 1"


async def test_a_broken_range_stops_publishing_and_keeps_the_old_mart(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await one_order_a_day(silver, FIRST_DAY, 3)
    await build(pipeline_dsn, "mart_daily_revenue")
    published = await database.rows(REVENUE)
    # A refund booked as a negative order: the day's net revenue would be negative.
    await silver.add("orders", order_id="O-bad", customer_id="C-0", order_ts=FIRST_DAY,
                     total_amount=Decimal("-50.00"))  # fmt: skip
    await silver.connection.execute(
        "INSERT INTO ops.dirty_days (mart, day) VALUES ('mart_daily_revenue', '2026-11-01')"
    )

    with pytest.raises(GoldBuildError, match=r"range\(net_revenue\)") as raised:
        await build(pipeline_dsn, "mart_daily_revenue", full=False)

    assert "previous mart stays in place" in str(raised.value)
    assert await database.rows(REVENUE) == published
    [failure] = await database.fetch(
        "SELECT check_name, status, failing_rows, sample FROM ops.quality_results"
        " WHERE status = 'error'"
    )
    assert (failure["check_name"], failure["failing_rows"]) == ("range(net_revenue)", 1)
    assert json.loads(failure["sample"])[0]["net_revenue"] == "-40.00"
    # The dirty day is still marked: the next run retries it once silver is fixed.
    assert await database.rows("SELECT day::text FROM ops.dirty_days") == [("2026-11-01",)]

    await silver.connection.execute("DELETE FROM silver.orders WHERE order_id = 'O-bad'")
    [rebuilt] = await build(pipeline_dsn, "mart_daily_revenue", full=False)
    assert rebuilt.rebuilt == [FIRST_DAY.date()]


async def test_a_mart_that_would_lose_most_rows_is_not_published(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await one_order_a_day(silver, FIRST_DAY, 30)
    await build(pipeline_dsn, "mart_daily_revenue")
    published = await database.rows(REVENUE)
    # A bad upstream load leaves only a third of the orders.
    await silver.connection.execute("DELETE FROM silver.orders WHERE order_ts >= '2026-11-11'")

    with pytest.raises(GoldBuildError, match="row count would go from 30 to 10"):
        await build(pipeline_dsn, "mart_daily_revenue")

    assert await database.rows(REVENUE) == published


async def test_a_warning_is_recorded_and_the_mart_still_publishes(
    silver: SilverWriter, pipeline_dsn: str, database: TestDatabase
) -> None:
    await one_order_a_day(silver, FIRST_DAY, 2)
    # The orders were loaded two hours ago: past the freshness warning, not the error.
    await silver.connection.execute(
        "UPDATE silver.orders SET loaded_at = now() - interval '2 hours'"
    )

    [revenue] = await build(pipeline_dsn, "mart_daily_revenue")

    assert [w.check_name for w in revenue.warnings] == ["freshness(silver.orders.loaded_at)"]
    assert len(await database.rows(REVENUE)) == 2
    [(status,)] = await database.rows(
        "SELECT status FROM ops.quality_results WHERE check_name LIKE 'freshness%'"
    )
    assert status == "warn"


async def test_row_checks_counted_in_one_scan_say_what_each_check_alone_says(
    pipeline_dsn: str,
) -> None:
    contract = (
        Unique(("k",)),
        NotNull(("k", "label")),
        Range("score", min=0, max=1),
        AcceptedValues("label", ("a", "b")),
        Expression("score set when labelled a", "label <> 'a' OR score IS NOT NULL"),
        Range("score", min=0),
    )
    connection = await asyncpg.connect(pipeline_dsn)
    try:
        await connection.execute(
            "CREATE TEMP TABLE candidate (k int, label text, score numeric);"
            " INSERT INTO candidate VALUES (1, 'a', 0.5), (1, 'b', 2), (2, NULL, -1),"
            " (3, 'c', NULL), (4, 'a', NULL), (5, 'b', 1)"
        )
        context = CheckContext("unused.mart", "candidate", "true")

        together = await run_contract(connection, context, contract)
        alone = [await check.run(connection, context) for check in contract]
    finally:
        await connection.close()

    assert together == alone
    assert [(r.check_name, r.failing_rows) for r in together] == [
        ("unique(k)", 1),
        ("not_null(k, label)", 1),
        ("range(score)", 2),
        ("accepted_values(label)", 1),
        ("expression(score set when labelled a)", 1),
        ("range(score)", 1),
    ]
    assert {row["k"] for row in together[2].sample} == {1, 2}


async def test_readers_keep_the_old_rows_until_the_publish_commits(
    silver: SilverWriter,
    pipeline_dsn: str,
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await one_order_a_day(silver, FIRST_DAY, 3)
    await build(pipeline_dsn, "mart_daily_revenue")
    published = await database.rows(REVENUE)
    await silver.add("orders", order_id="O-more", customer_id="C-9", order_ts=FIRST_DAY,
                     total_amount=Decimal("5.00"))  # fmt: skip
    seen: list[tuple[list[tuple[object, ...]], list[tuple[object, ...]]]] = []
    count_totals = gold_build._count_totals

    async def read_after_the_insert(
        connection: asyncpg.Connection, mart: Mart, rows: str
    ) -> dict[str, int]:
        # The new rows are in the mart (inserted under a savepoint), uncommitted: the build sees
        # them, and a reader on its own connection still gets the old rows, without waiting.
        reader = await asyncpg.connect(asyncpg_dsn(database.url))
        try:
            await reader.execute("SET statement_timeout = '2s'")
            outside = [tuple(row) for row in await reader.fetch(REVENUE)]
        finally:
            await reader.close()
        seen.append((outside, [tuple(row) for row in await connection.fetch(REVENUE)]))
        return await count_totals(connection, mart, rows)

    monkeypatch.setattr(gold_build, "_count_totals", read_after_the_insert)
    [revenue] = await build(pipeline_dsn, "mart_daily_revenue")

    after = await database.rows(REVENUE)
    assert seen == [(published, after)]
    assert revenue.mode == "full"
    assert after != published
    assert after[0][1:] == (2, Decimal("15.00"))


async def test_a_duplicate_key_is_still_reported_by_the_unique_check(
    silver: SilverWriter,
    pipeline_dsn: str,
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await one_order_a_day(silver, FIRST_DAY, 3)
    await build(pipeline_dsn, "mart_daily_revenue")
    published = await database.rows(REVENUE)
    original = gold_build.load_sql
    sql = original("mart_daily_revenue")
    # A broken SQL yields the first day twice. The Unique check on the key is left to the
    # primary key; it refuses the insert, and the check then runs and names the duplicate.
    doubled = (
        f"SELECT * FROM ({sql}) AS b UNION ALL (SELECT * FROM ({sql}) AS d ORDER BY 1 LIMIT 1)"  # nosec B608 # test SQL
    )
    monkeypatch.setattr(
        gold_build, "load_sql", lambda name: doubled if "revenue" in name else original(name)
    )

    with pytest.raises(GoldBuildError, match=r"unique\(order_date, channel, region\)"):
        await build(pipeline_dsn, "mart_daily_revenue")

    assert await database.rows(REVENUE) == published
    results = await database.fetch(
        "SELECT check_name, status, failing_rows, sample FROM ops.quality_results"
        " WHERE mart = 'admin.mart_daily_revenue' AND status = 'error'"
    )
    assert [(r["check_name"], r["failing_rows"]) for r in results] == [
        ("unique(order_date, channel, region)", 1)
    ]
    assert json.loads(results[0]["sample"])[0]["copies"] == 2
    # One result per check and build: the check's pass was replaced, not added to.
    [(recorded,)] = await database.rows(
        "SELECT count(*) FROM ops.quality_results WHERE mart = 'admin.mart_daily_revenue'"
        " AND check_name LIKE 'unique%'"
    )
    assert recorded == 2  # the first build's pass and this one's error


async def test_unique_checks_a_unique_index_enforces_are_proven_by_the_insert(
    pipeline_dsn: str,
) -> None:
    connection = await asyncpg.connect(pipeline_dsn)
    try:
        await connection.execute(
            "CREATE TEMP TABLE keyed (a int, b int, c int, d int NOT NULL, e int NOT NULL,"
            " f int NOT NULL, PRIMARY KEY (a, b));"
            " CREATE UNIQUE INDEX ON keyed (c);"  # nullable: NULLs may repeat
            " CREATE UNIQUE INDEX ON keyed (d) WHERE d > 0;"  # partial
            " CREATE UNIQUE INDEX ON keyed (e) INCLUDE (f);"
            " CREATE UNIQUE INDEX ON keyed ((f + 1));"  # on an expression
        )
        contract = (
            Unique(("a", "b")),
            Unique(("b", "a", "d")),
            Unique(("a",)),
            Unique(("c",)),
            Unique(("d",)),
            Unique(("e",)),
            Unique(("f",)),
            NotNull(("a",)),
        )
        proven = await unique_checks_proven(connection, "pg_temp.keyed", contract)
    finally:
        await connection.close()

    assert proven == [Unique(("a", "b")), Unique(("b", "a", "d")), Unique(("e",))]
