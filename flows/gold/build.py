"""Building and publishing marts: computed aside, checked by their contract, swapped in at once.

A mart is a declaration (`Mart`) plus one SQL file under `flows/gold/sql/`: a SELECT that yields
every column of the mart table. The SQL reads its inputs from silver (and from marts built
before it) and its parameters from temporary tables the build fills on the same connection:

- `gold_params (base_currency text, as_of timestamp, as_of_date date)`: the data time is the
  newest order in silver (UTC), not the clock, so the same silver always builds the same mart;
- `gold_days (day date)` for marts scoped by day, `gold_customers (customer_id text)` for marts
  scoped by customer: the keys being rebuilt (the dirty ones, or every key on a full build);
- `gold_day_groups (day date, channel text, region text)` for day-scoped marts split into groups
  (`Mart.day_groups`): the dirty groups of days not in `gold_days`, rebuilt alone.

The rows go to a temporary candidate table; the contract runs against it; only if no check
errors, one transaction deletes the rows the candidate replaces (or truncates the mart, for a full
build of a mart that asks for it: `Mart.truncate_on_full`) and inserts it. A Unique check
that the mart's own unique index enforces is proved by that insert instead of a scan of the
candidate; should the index refuse a key, the check runs then and reports the duplicates.
Readers see the old mart or the new one, never a mix, and a failed build leaves the old mart
(and its dirty marks, which the rolled-back transaction had consumed) in place for the next run.

A mart rebuilt whole on both cores (`Mart.parallel`, `Scope.FULL`) checks its contract alongside
the publish when `build_marts` is given a second connection (`Connector`): its candidate is
committed first, as an unlogged table in `ops` that only the build's two connections use, the
second connection runs the contract on it while the first publishes, and the publish commits
only once every check passed. The build's cores both work again (at 1M orders the checks take
2-3 s and the publish 3-4 s, each on one core), and a failed check still leaves the old mart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import NamedTuple

import asyncpg

from flows.gold.contracts import (
    EVERY_ROW,
    AcceptedValues,
    Check,
    CheckContext,
    CheckResult,
    Unique,
    record_results,
    run_contract,
    unique_checks_proven,
)
from flows.gold.inputs import DAY_GROUP_TABLES, SCOPE_TABLES, Input, Scope, check_inputs
from shared.database import affected_rows, setting_for, settings_for

logger = logging.getLogger(__name__)

SQL_DIR = Path(__file__).parent / "sql"
# How long a full build of a `Mart.truncate_on_full` mart waits for readers to let go of it
# before it deletes the rows instead.
TRUNCATE_LOCK_WAIT = "2s"
# Where a mart's `work_tables` go: the pipeline's own schema.
WORK_SCHEMA = "ops"
# A candidate checked alongside its publish: `ops.<this><mart>_<server pid>`, committed, so the
# checking connection can read it, and dropped by its publish (or, after a build that died, by
# the mart's next build).
COMMITTED_CANDIDATE = "gold_candidate_"
# How long the checking connection waits for a lock: a check that reads the mart itself would
# wait for the publish's TRUNCATE while the publish waits for the checks.
CHECKER_LOCK_WAIT = "10s"
# The planner settings of a `Mart.parallel` build: a worker's start and the rows it hands back
# cost next to nothing against a query over every row (the defaults, 1000 and 0.1 per row, keep
# the recommendations' query on one core).
PARALLEL_PLANNING = {"parallel_setup_cost": "0", "parallel_tuple_cost": "0.0001"}


Connector = Callable[[], Awaitable[asyncpg.Connection]]
"""Opens another connection to the build's database, as the build's role."""


class GoldFlow(StrEnum):
    """The flow that builds a mart."""

    DATA_PIPELINE = "data_pipeline"
    LOYALTY_RECOMMENDATIONS = "loyalty_recommendations"
    TRUST_TRANSPARENCY = "trust_transparency"


@dataclass(frozen=True)
class Mart:
    """One gold table: where it lives, how it is built and what it must satisfy."""

    table: str  # `schema.name`, created by the owning service's migrations
    sql: str  # file stem under flows/gold/sql/
    key: tuple[str, ...]
    flow: GoldFlow
    scope: Scope = Scope.FULL
    # For DAYS/CUSTOMERS: the mart column holding the scope key, and a query listing every key
    # a full build covers (the keys present in silver).
    scope_column: str | None = None
    all_keys: str | None = None
    # Scoped marts whose numbers depend on the data date (recency): a new day rebuilds all.
    rebuild_on_new_day: bool = False
    # Or, for a mart where a move of the data date changes a few keys only: a query listing
    # them ($1: the later of the previous and the new data date), rebuilt beside the dirty keys.
    new_day_keys: str | None = None
    # For a DAYS mart: columns splitting a day into groups (the same names in silver's rows, the
    # mart and `ops.dirty_day_groups`). Changed rows mark their (day, *groups) groups, and an
    # incremental build rebuilds those groups, not their whole days; a row of a group depends on
    # that group's rows only.
    day_groups: tuple[str, ...] = ()
    contract: tuple[Check, ...] = ()
    # Every table the SQL reads and what a change to it rebuilds (flows/gold/inputs.py).
    inputs: tuple[Input, ...] = ()
    volatile: tuple[str, ...] = ("refreshed_at",)  # columns left out of checksums
    # Row counts kept beside the mart for readers that would otherwise count every row (the
    # KPI snapshot): (name, condition over the mart's columns). A full build counts them; an
    # incremental one adds the candidate's and takes away the replaced rows' (ops.mart_builds).
    totals: tuple[tuple[str, str], ...] = ()
    # Python that fills temporary tables the SQL reads, run on the build's connection and in its
    # transaction just before the SQL: for a step that is a loop, not a set operation.
    prepare: Callable[[asyncpg.Connection], Awaitable[None]] | None = None
    # SQL files (stems under flows/gold/sql/) that `prepare` runs: part of the mart's SQL, read
    # with it wherever its inputs are checked.
    prepare_sql: tuple[str, ...] = ()
    # A full build empties the mart with TRUNCATE, not DELETE (the owner's migration grants the
    # pipeline role TRUNCATE on it). For a mart of a million rows, deleting them and inserting
    # the new ones beside them, where the primary key visits each deleted row to confirm it is
    # gone, costs twice what an empty table does. The price: readers wait while the new rows go
    # in (TRUNCATE's lock lasts until the commit) instead of reading the old ones; a reader
    # holding the mart longer than TRUNCATE_LOCK_WAIT makes the build delete after all.
    truncate_on_full: bool = False
    # Memory for each sort and hash of the build (`work_mem`, for its transaction), for a mart
    # whose million rows the server's default (4MB) sorts and groups on disk; None keeps it.
    work_mem: str | None = None
    # Let PostgreSQL use more than one core for the mart's query: the candidate is written by
    # CREATE TABLE AS (an INSERT's query is never planned in parallel) with every column cast to
    # the mart's type, and the build's planner counts a parallel worker's start and the rows it
    # hands back as nearly free, since a build is one query over every row, not many small ones.
    # The query must read no temporary table (a worker cannot see one): `prepare` puts what it
    # fills in `work_tables` instead. Not for a mart with a length-limited character column,
    # where a cast cuts a value short that an insert would refuse.
    parallel: bool = False
    # Unlogged tables `prepare` creates in `ops` for the SQL to read, seen by parallel workers
    # as no temporary table is: created and dropped inside the build's transaction, so no other
    # session sees them, and a failed build's rollback takes them away.
    work_tables: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.scope is not Scope.FULL and (self.scope_column is None or self.all_keys is None):
            raise ValueError(f"{self.table}: a {self.scope} mart needs scope_column and all_keys")
        if self.day_groups and self.scope is not Scope.DAYS:
            raise ValueError(f"{self.table}: only a days mart splits its days into groups")
        if self.rebuild_on_new_day and self.new_day_keys is not None:
            raise ValueError(f"{self.table}: a new day rebuilds all keys or the listed ones")
        if self.work_tables and self.prepare is None:
            raise ValueError(f"{self.table}: work tables are filled by a prepare step")
        if any(not table.startswith(f"{WORK_SCHEMA}.") for table in self.work_tables):
            raise ValueError(f"{self.table}: work tables belong in {WORK_SCHEMA}")
        check_inputs(self.table, self.scope, self.inputs, self.rebuild_on_new_day)

    @property
    def sql_files(self) -> tuple[str, ...]:
        """Every SQL file stem the build runs: `prepare_sql`, then `sql`."""
        return (*self.prepare_sql, self.sql)

    @property
    def reads(self) -> tuple[str, ...]:
        """The tables the SQL reads (`schema.table`, each once), for lineage."""
        return tuple(dict.fromkeys(item.table for item in self.inputs))

    def accepted_values(self, column: str) -> tuple[str, ...]:
        """The values the contract accepts in `column` (empty when it lists none)."""
        checks = [check for check in self.contract if isinstance(check, AcceptedValues)]
        return next((check.values for check in checks if check.column == column), ())

    @property
    def name(self) -> str:
        """The table name without its schema; the key of dirty marks and build records."""
        return self.table.split(".", 1)[1]

    @property
    def checks_alongside(self) -> bool:
        """Whether, given a second connection, the contract runs there while the build
        publishes: a mart rebuilt whole on both cores, whose candidate is worth committing aside
        (no dirty keys tie it to the publish's transaction)."""
        return self.parallel and self.scope is Scope.FULL


@cache
def load_sql(name: str) -> str:
    """The text of `flows/gold/sql/<name>.sql`."""
    return (SQL_DIR / f"{name}.sql").read_text()


@dataclass(frozen=True)
class GoldParams:
    """What every mart's SQL may read from `gold_params`."""

    base_currency: str
    as_of: object  # datetime (naive, UTC) of the newest order, or None on an empty silver


@dataclass
class MartBuild:
    """What one mart build did."""

    mart: str
    mode: str  # 'full', 'incremental', or 'skipped' when nothing was dirty
    keys: int = 0
    rebuilt: list[object] = field(default_factory=list)  # the keys of an incremental build
    rows: int = 0
    results: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0  # wall time of `build_mart`: scope, build, contract and publish

    @property
    def warnings(self) -> list[CheckResult]:
        """Checks that warned."""
        return [result for result in self.results if result.status == "warn"]

    def describe(self) -> str:
        """`mart: mode, n key(s), m row(s)`."""
        if self.mode == "skipped":
            return f"{self.mart}: nothing to rebuild"
        scope = f"{self.keys} key(s), " if self.keys else ""
        warned = f", {len(self.warnings)} warning(s)" if self.warnings else ""
        return f"{self.mart}: {self.mode}, {scope}{self.rows} row(s){warned}"


class ContractViolationError(RuntimeError):
    """A mart's candidate broke an error-level check; the mart was not published."""

    def __init__(self, mart: str, failures: list[CheckResult]) -> None:
        self.mart = mart
        self.failures = failures
        reasons = "; ".join(failure.describe() for failure in failures)
        super().__init__(
            f"{mart} not published: {reasons}. The previous mart stays in place; see "
            "ops.quality_results for failing rows, fix silver (or the mart SQL) and run again"
        )


async def prepare_session(connection: asyncpg.Connection, params: GoldParams) -> None:
    """Create (once per connection) and fill the temporary tables every mart SQL reads."""
    # JIT compilation costs seconds per statement on these wide plans and buys little: the
    # incremental builds are index lookups and the full ones are dominated by sorts and joins.
    await connection.execute("SET jit = off")
    await connection.execute(
        """
        CREATE TEMP TABLE IF NOT EXISTS gold_params (
            base_currency text NOT NULL, as_of timestamp, as_of_date date
        );
        CREATE TEMP TABLE IF NOT EXISTS gold_days (day date PRIMARY KEY);
        CREATE TEMP TABLE IF NOT EXISTS gold_customers (customer_id text PRIMARY KEY);
        CREATE TEMP TABLE IF NOT EXISTS gold_day_groups (
            day date, channel text, region text, PRIMARY KEY (day, channel, region)
        );
        TRUNCATE gold_params, gold_days, gold_customers, gold_day_groups;
        """
    )
    await connection.execute(
        "INSERT INTO gold_params VALUES ($1, $2::timestamp, $2::timestamp::date)",
        params.base_currency,
        params.as_of,
    )
    # Temporary tables are never auto-analysed: without statistics the planner guesses
    # thousands of rows and spends seconds compiling JIT code for a one-row parameter table.
    await connection.execute("ANALYZE gold_params")


async def current_params(connection: asyncpg.Connection, base_currency: str) -> GoldParams:
    """The parameters of a build of the current silver."""
    as_of = await connection.fetchval("SELECT max(order_ts AT TIME ZONE 'UTC') FROM silver.orders")
    return GoldParams(base_currency, as_of)


class _Column(NamedTuple):
    """A column of a mart table."""

    name: str
    type: str  # with its modifier, as format_type spells it: numeric(8,4)
    limited: bool  # a length-limited character type, which a cast cuts short


async def _mart_columns(connection: asyncpg.Connection, table: str) -> list[_Column]:
    schema, name = table.split(".", 1)
    rows = await connection.fetch(
        """
        SELECT c.column_name AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.atttypid IN ('bpchar'::regtype, 'varchar'::regtype) AND a.atttypmod >= 0 AS limited
        FROM information_schema.columns c
        JOIN pg_attribute a
            ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass
            AND a.attname = c.column_name
        WHERE c.table_schema = $1 AND c.table_name = $2 ORDER BY c.ordinal_position
        """,
        schema,
        name,
    )
    if not rows:
        raise RuntimeError(f"{table} does not exist or is not granted; run `ecom db init`")
    return [_Column(*row) for row in rows]


async def _last_build(connection: asyncpg.Connection, mart: Mart) -> asyncpg.Record | None:
    """The mart's last published build (its data time and row count), or None if never built."""
    return await connection.fetchrow(
        "SELECT as_of, rows, totals FROM ops.mart_builds WHERE mart = $1", mart.name
    )


def _wants_full(mart: Mart, last: asyncpg.Record | None, params: GoldParams, full: bool) -> bool:
    if full or mart.scope is Scope.FULL:
        return True
    if last is None:
        return True  # never built: every key is new
    if mart.rebuild_on_new_day and params.as_of is not None:
        return last["as_of"] is None or last["as_of"].date() != params.as_of.date()  # type: ignore[attr-defined]
    if mart.new_day_keys is not None and params.as_of is not None:
        return last["as_of"] is None  # built on an empty silver: no keys to move from
    return False


async def _consume_whole_mark(connection: asyncpg.Connection, mart: Mart) -> bool:
    """Clear the mart's whole mark (`flows.silver.whole_marks`): whether it had one. Any full
    build clears it, and a failed build keeps it (the transaction rolls back)."""
    marked = await connection.fetchval(
        "DELETE FROM ops.dirty_marts WHERE mart = $1 RETURNING true", mart.name
    )
    return bool(marked)


def _moved_to(mart: Mart, last: asyncpg.Record | None, params: GoldParams) -> date | None:
    """For a mart listing the keys a data-date move changes: the later of the previous and the
    new data date when the date moved since the last build, else None."""
    if mart.new_day_keys is None or last is None or last["as_of"] is None or params.as_of is None:
        return None
    before: date = last["as_of"].date()
    after: date = params.as_of.date()  # type: ignore[attr-defined]
    return max(before, after) if before != after else None


async def _fill_scope(
    connection: asyncpg.Connection, mart: Mart, full: bool, moved_to: date | None = None
) -> tuple[int, list[object]]:
    """Fill the mart's scope table (consuming its dirty marks, and adding the keys a data-date
    move to `moved_to` changes); returns the number of keys and, for an incremental build, the
    keys themselves."""
    if mart.scope is Scope.FULL:
        return 0, []
    tables = SCOPE_TABLES[mart.scope]
    scope_table, scope_column, dirty_table = tables.temporary, tables.column, tables.dirty
    await connection.execute(f"TRUNCATE {scope_table}")
    consumed = f"DELETE FROM {dirty_table} WHERE mart = $1 RETURNING {scope_column}"  # nosec B608 # mart and scope table names from the Mart declarations; values bound
    if full:
        # Every key in silver, every key already published (so vanished keys are removed), and
        # the dirty marks are consumed: the full build covers them.
        await connection.execute(f"WITH consumed AS ({consumed}) SELECT 1", mart.name)
        status = await connection.execute(
            f"INSERT INTO {scope_table} ({scope_column}) SELECT k FROM ({mart.all_keys}) AS a (k)"  # nosec B608 # mart and scope table names from the Mart declarations; values bound
            f" WHERE k IS NOT NULL UNION SELECT {mart.scope_column} FROM {mart.table}"
        )
        await connection.execute(f"ANALYZE {scope_table}")
        await _fill_day_groups(connection, mart, full)  # consumes the groups' marks
        return affected_rows(status), []
    await connection.execute(
        f"WITH consumed AS ({consumed}) INSERT INTO {scope_table} ({scope_column})"  # nosec B608 # mart and scope table names from the Mart declarations; values bound
        f" SELECT DISTINCT {scope_column} FROM consumed",
        mart.name,
    )
    if moved_to is not None:
        await connection.execute(
            f"INSERT INTO {scope_table} ({scope_column}) SELECT k FROM ({mart.new_day_keys})"  # nosec B608 # mart and scope table names from the Mart declarations; values bound
            " AS a (k) WHERE k IS NOT NULL ON CONFLICT DO NOTHING",
            moved_to,
        )
    keys = await connection.fetch(f"SELECT {scope_column} FROM {scope_table}")  # nosec B608 # mart and scope table names from the Mart declarations; values bound
    await connection.execute(f"ANALYZE {scope_table}")
    rebuilt = {row[0] for row in keys} | set(await _fill_day_groups(connection, mart, full))
    return len(rebuilt), sorted(rebuilt)


async def _fill_day_groups(connection: asyncpg.Connection, mart: Mart, full: bool) -> list[date]:
    """For a mart split into day groups: consume its dirty groups and, on an incremental build,
    put those of days not rebuilt whole in `gold_day_groups`; returns their days."""
    if not mart.day_groups:
        return []
    tables = DAY_GROUP_TABLES
    columns = ", ".join((tables.column, *mart.day_groups))
    # DELETE, not TRUNCATE: the table holds a few rows, and truncating a temporary table swaps
    # its files (milliseconds, on every build).
    await connection.execute(f"DELETE FROM {tables.temporary}")  # nosec B608 # mart and scope table names from the Mart declarations; values bound
    consumed = f"DELETE FROM {tables.dirty} WHERE mart = $1 RETURNING {columns}"  # nosec B608 # mart and scope table names from the Mart declarations; values bound
    if full:
        await connection.execute(f"WITH consumed AS ({consumed}) SELECT 1", mart.name)
        return []
    whole_days = SCOPE_TABLES[Scope.DAYS].temporary
    rows = await connection.fetch(
        f"WITH consumed AS ({consumed}), added AS (INSERT INTO {tables.temporary} ({columns})"  # nosec B608 # mart and scope table names from the Mart declarations; values bound
        f" SELECT DISTINCT {columns} FROM consumed c WHERE NOT EXISTS"
        f" (SELECT FROM {whole_days} w WHERE w.day = c.day) RETURNING day)"
        " SELECT DISTINCT day FROM added",
        mart.name,
    )
    if rows:
        await connection.execute(f"ANALYZE {tables.temporary}")
    return [row["day"] for row in rows]


async def _count_totals(connection: asyncpg.Connection, mart: Mart, rows: str) -> dict[str, int]:
    """`mart.totals` counted over `rows` (a FROM item)."""
    if not mart.totals:
        return {}
    counts = ", ".join(
        f'count(*) FILTER (WHERE {condition}) AS "{name}"' for name, condition in mart.totals
    )
    row = await connection.fetchrow(f"SELECT {counts} FROM {rows}")  # nosec B608 # mart names and conditions from the Mart declarations
    assert row is not None
    return {name: int(row[name]) for name, _ in mart.totals}


def _recorded_totals(mart: Mart, last: asyncpg.Record | None) -> dict[str, int] | None:
    """The totals the last build recorded, or None when it recorded not all of them."""
    raw = last["totals"] if last is not None else "{}"
    recorded = json.loads(raw) if isinstance(raw, str) else raw
    if any(name not in recorded for name, _ in mart.totals):
        return None
    return {name: int(recorded[name]) for name, _ in mart.totals}


async def _store_totals(connection: asyncpg.Connection, mart: Mart, totals: dict[str, int]) -> None:
    await connection.execute(
        "UPDATE ops.mart_builds SET totals = $2::jsonb WHERE mart = $1",
        mart.name,
        json.dumps(totals),
    )


def _replaced_rows(mart: Mart, full: bool) -> str:
    if full or mart.scope is Scope.FULL:
        return EVERY_ROW
    tables = SCOPE_TABLES[mart.scope]
    replaced = f'"{mart.scope_column}" IN (SELECT {tables.column} FROM {tables.temporary})'  # nosec B608 # mart and scope table names from the Mart declarations; values bound
    if not mart.day_groups:
        return replaced
    groups = DAY_GROUP_TABLES
    listed = ", ".join(f'"{column}"' for column in (mart.scope_column, *mart.day_groups))
    group_columns = ", ".join((groups.column, *mart.day_groups))
    return f"({replaced} OR ({listed}) IN (SELECT {group_columns} FROM {groups.temporary}))"  # nosec B608 # mart and scope table names from the Mart declarations; values bound


async def build_mart(
    connection: asyncpg.Connection,
    mart: Mart,
    run_id: uuid.UUID,
    params: GoldParams,
    *,
    full: bool = False,
    checker: asyncpg.Connection | None = None,
) -> MartBuild:
    """Build `mart` aside, check its contract and publish it in one transaction.

    Expects `prepare_session` to have run on `connection`. Raises `ContractViolationError`
    (after recording the results) when an error-level check fails. `checker`: a second
    connection (`open_checker`), on which a mart that `checks_alongside` runs its contract
    while `connection` publishes.
    """
    columns = await _mart_columns(connection, mart.table)
    names = [column.name for column in columns]
    listed = ", ".join(f'"{name}"' for name in names)
    # The connection that checks the contract alongside the publish, if this mart does so.
    alongside = checker if mart.checks_alongside else None
    candidate = (
        f"gold_candidate_{mart.name}"
        if alongside is None
        else _committed_candidate(mart, connection.get_server_pid())
    )
    build = MartBuild(mart.table, "full")
    started = time.perf_counter()
    settings = {} if mart.work_mem is None else {"work_mem": mart.work_mem}
    if mart.parallel:
        settings |= PARALLEL_PLANNING
    candidate_rows = 0
    try:
        if alongside is not None:
            # The candidate (and nothing else) is committed, for the checker to read.
            await _drop_orphaned_candidates(connection, mart)
            async with connection.transaction(), settings_for(connection, settings):
                candidate_rows = await _fill_candidate(
                    connection, mart, candidate, columns, committed=True
                )
                if mart.work_tables:
                    await connection.execute(f"DROP TABLE {', '.join(mart.work_tables)}")
        async with connection.transaction(), settings_for(connection, settings):
            last = await _last_build(connection, mart)
            marked_whole = await _consume_whole_mark(connection, mart)
            full = marked_whole or _wants_full(mart, last, params, full)
            build.mode = "full" if full else "incremental"
            moved_to = None if full else _moved_to(mart, last, params)
            build.keys, build.rebuilt = await _fill_scope(connection, mart, full, moved_to)
            if not full and not build.keys:
                build.mode = "skipped"
                if mart.totals and _recorded_totals(mart, last) is None:
                    # Built before the totals were kept: count them once.
                    await _store_totals(
                        connection, mart, await _count_totals(connection, mart, mart.table)
                    )
                return build
            if alongside is None:
                await connection.execute(f"DROP TABLE IF EXISTS {candidate}")
                candidate_rows = await _fill_candidate(connection, mart, candidate, columns)
            # Only builds write a mart, each recording its row count: the row-count check
            # compares with the last one instead of counting the mart (1.5 s for the million
            # rows of the recommendations), and an incremental build counts the rows it replaces
            # and adds, not every row. A full build counts its totals afresh.
            published = None if last is None else int(last["rows"])
            if alongside is not None and published is None:
                # Counted here: the checker cannot read the mart once the publish holds it.
                published = await connection.fetchval(f"SELECT count(*) FROM {mart.table}")  # nosec B608 # mart table name from the Mart declarations
            context = CheckContext(
                mart.table, candidate, _replaced_rows(mart, full), published, candidate_rows
            )
            # A Unique check the mart's own unique index enforces is proved by the insert below.
            proven = await unique_checks_proven(connection, mart.table, mart.contract)
            if alongside is None:
                build.results = await run_contract(connection, context, mart.contract, proven)
                _raise_failures(mart, build.results)
            totals = None if full or published is None else _recorded_totals(mart, last)
            if totals is not None:
                replaced = await _count_totals(
                    connection, mart, f"{mart.table} WHERE {context.replaced}"
                )
                added = await _count_totals(connection, mart, candidate)
                totals = {name: totals[name] - replaced[name] + added[name] for name in totals}
            try:
                if alongside is None:
                    deleted, build.rows = await _replace(connection, mart, context, listed)
                else:
                    checking = _check_on(alongside, context, mart.contract, proven, settings)
                    deleted, build.rows = await _replace_while_checking(
                        checking, connection, mart, context, listed, build
                    )
            except asyncpg.UniqueViolationError:
                # The index refused a key: run the checks it was trusted with, so the contract
                # reports the duplicates as it always did (else the error stands, as before).
                await _run_proven(connection, context, mart, proven, build)
                raise
            if totals is None:
                totals = await _count_totals(connection, mart, mart.table)
            if context.replaces_every_row:
                total = build.rows  # the mart is now the candidate, no need to count it again
            elif published is None:
                total = await connection.fetchval(f"SELECT count(*) FROM {mart.table}")  # nosec B608 # mart and scope table names from the Mart declarations; values bound
            else:
                total = published - deleted + build.rows
            await connection.execute(
                """
                INSERT INTO ops.mart_builds (mart, run_id, mode, as_of, rows, totals)
                VALUES ($1, $2, $3, $4, $5, $6::jsonb)
                ON CONFLICT (mart) DO UPDATE SET run_id = excluded.run_id, mode = excluded.mode,
                    as_of = excluded.as_of, rows = excluded.rows, totals = excluded.totals,
                    built_at = now()
                """,
                mart.name,
                run_id,
                build.mode,
                params.as_of,
                total,
                json.dumps(totals),
            )
            dropped = (candidate, *mart.work_tables) if alongside is None else (candidate,)
            await connection.execute(f"DROP TABLE {', '.join(dropped)}")
    finally:
        if alongside is not None and not connection.is_closed():
            # A build that failed after committing its candidate drops it here; should that
            # fail too, the mart's next build does (`_drop_orphaned_candidates`).
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await connection.execute(f"DROP TABLE IF EXISTS {candidate}")
        if build.results:
            await record_results(connection, run_id, mart.table, build.results)
        build.seconds = time.perf_counter() - started
    for warning in build.warnings:
        logger.warning("%s: %s", mart.table, warning.describe())
    return build


def _raise_failures(mart: Mart, results: list[CheckResult]) -> None:
    failures = [result for result in results if result.failed]
    if failures:
        raise ContractViolationError(mart.table, failures)


async def _check_on(
    checker: asyncpg.Connection,
    context: CheckContext,
    contract: tuple[Check, ...],
    proven: list[Unique],
    settings: dict[str, str],
) -> list[CheckResult]:
    """`run_contract` on the checking connection, with the build's settings, on one core (the
    other one publishes)."""
    on_one_core = settings | {"max_parallel_workers_per_gather": "0"}
    try:
        async with checker.transaction(), settings_for(checker, on_one_core):
            return await run_contract(checker, context, contract, proven)
    except asyncpg.LockNotAvailableError as error:
        raise RuntimeError(
            f"{context.mart} not published: a check waited over {CHECKER_LOCK_WAIT} for a lock"
            f" on the checking connection ({error}). Checks that run alongside the publish"
            " must not read the mart itself, which the publish holds: give the check what it"
            " needs in its CheckContext, or build the mart without `parallel`"
        ) from error


async def _replace_while_checking(
    checking: Awaitable[list[CheckResult]],
    connection: asyncpg.Connection,
    mart: Mart,
    context: CheckContext,
    listed: str,
    build: MartBuild,
) -> tuple[int, int]:
    """`_replace` while `checking` runs the contract on the checking connection. Both finish
    before either's failure is raised (the rollback that follows needs the connection idle, and
    the results are recorded either way): a key the index refused first (the caller runs the
    checks it was trusted with, beside these results), then failed checks, then the replace's
    own error."""
    checked, replaced = await asyncio.gather(
        checking, _replace(connection, mart, context, listed), return_exceptions=True
    )
    if isinstance(checked, BaseException):
        raise checked
    build.results = checked
    if isinstance(replaced, asyncpg.UniqueViolationError):
        raise replaced
    _raise_failures(mart, build.results)
    if isinstance(replaced, BaseException):
        raise replaced
    return replaced


async def _replace(
    connection: asyncpg.Connection, mart: Mart, context: CheckContext, listed: str
) -> tuple[int, int]:
    """Replace the rows the candidate replaces by the candidate's: (deleted, inserted) rows
    (none counted as deleted when the mart was emptied)."""
    deleted = 0
    if context.replaces_every_row:
        await _empty(connection, mart)
    else:
        deleted = affected_rows(
            await connection.execute(f"DELETE FROM {mart.table} WHERE {context.replaced}")  # nosec B608 # mart and scope table names from the Mart declarations; values bound
        )
    async with connection.transaction():  # a savepoint: the candidate stays
        status = await connection.execute(
            f"INSERT INTO {mart.table} ({listed}) SELECT {listed} FROM {context.candidate}"  # nosec B608 # mart and scope table names from the Mart declarations; values bound
        )
    return deleted, affected_rows(status)


def _committed_candidate(mart: Mart, server_pid: int) -> str:
    """The name of `mart`'s candidate committed by the session with this server pid (at most
    63 characters with any pid)."""
    return f"{WORK_SCHEMA}.{_committed_prefix(mart)}{server_pid}"


def _committed_prefix(mart: Mart) -> str:
    return f"{COMMITTED_CANDIDATE}{mart.name}"[:52] + "_"


async def _drop_orphaned_candidates(connection: asyncpg.Connection, mart: Mart) -> None:
    """Drop the committed candidates of `mart` whose session has ended (a build killed between
    its candidate's commit and its publish leaves one behind), and this session's own, should
    its last build have failed to drop it."""
    prefix = _committed_prefix(mart)
    orphans = await connection.fetch(
        """
        SELECT format('%I.%I', $1::text, relname) AS name
        FROM pg_class
        WHERE relnamespace = $1::regnamespace AND relkind = 'r' AND starts_with(relname, $2)
            AND substr(relname, length($2) + 1) ~ '^[0-9]+$'
            AND substr(relname, length($2) + 1)::integer NOT IN (
                SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()
            )
        """,
        WORK_SCHEMA,
        prefix,
    )
    for orphan in orphans:
        logger.warning(
            "%s: dropping %s, left by a build that did not finish", mart.table, orphan["name"]
        )
        await connection.execute(f"DROP TABLE IF EXISTS {orphan['name']}")


async def _fill_candidate(
    connection: asyncpg.Connection,
    mart: Mart,
    candidate: str,
    columns: list[_Column],
    *,
    committed: bool = False,
) -> int:
    """Run the mart's `prepare`, then write its rows to the temporary table `candidate`, shaped
    as the mart; return how many. A `Mart.parallel` mart's by CREATE TABLE AS, each column cast
    to the mart's type (the candidate an insert fills has them too), so that PostgreSQL may plan
    the query in parallel; into an unlogged table when `committed` (`_committed_candidate`;
    autovacuum left out, as it lives for one build)."""
    if mart.prepare is not None:
        await mart.prepare(connection)
    statement = await connection.prepare(load_sql(mart.sql))
    produced = [attribute.name for attribute in statement.get_attributes()]
    names = [column.name for column in columns]
    if sorted(produced) != sorted(names):
        raise RuntimeError(
            f"flows/gold/sql/{mart.sql}.sql must yield exactly the columns of"
            f" {mart.table}: missing {sorted(set(names) - set(produced))}, unknown"
            f" {sorted(set(produced) - set(names))}"
        )
    listed = ", ".join(f'"{name}"' for name in names)
    built = f"FROM ({load_sql(mart.sql)}) AS built"
    kind = "UNLOGGED TABLE" if committed else "TEMP TABLE"
    options = " WITH (autovacuum_enabled = false)" if committed else ""
    if not mart.parallel:
        await connection.execute(
            f"CREATE {kind} {candidate}{options} AS SELECT * FROM {mart.table} WITH NO DATA"  # nosec B608 # mart and scope table names from the Mart declarations
        )
        status = await connection.execute(
            f"INSERT INTO {candidate} ({listed}) SELECT {listed} {built}"  # nosec B608 # mart and scope table names from the Mart declarations
        )
        return affected_rows(status)
    limited = [column.name for column in columns if column.limited]
    if limited:
        raise RuntimeError(
            f"{mart.table} cannot build in parallel: a cast would cut {', '.join(limited)} short"
            " where an insert refuses an overlong value; drop `parallel` from the mart"
        )
    cast = ", ".join(f'"{name}"::{type_} AS "{name}"' for name, type_, _ in columns)
    status = await connection.execute(
        f"CREATE {kind} {candidate}{options} AS SELECT {cast} {built}"  # nosec B608 # mart and scope table names from the Mart declarations; types from the catalogue
    )
    return affected_rows(status)


async def _empty(connection: asyncpg.Connection, mart: Mart) -> None:
    """Empty `mart` for a full build's rows: DELETE, or for a `Mart.truncate_on_full` mart
    TRUNCATE once readers let go of it, deleting after all when one holds it past
    TRUNCATE_LOCK_WAIT (a long report must not stall the build, nor the readers queued behind
    the TRUNCATE)."""
    if mart.truncate_on_full:
        try:
            # A savepoint: a lock timeout ends no build.
            async with (
                connection.transaction(),
                setting_for(connection, "lock_timeout", TRUNCATE_LOCK_WAIT),
            ):
                await connection.execute(f"TRUNCATE {mart.table}")
            return
        except asyncpg.LockNotAvailableError:
            logger.warning(
                "%s: a reader held it for over %s; deleting its rows instead of truncating",
                mart.table,
                TRUNCATE_LOCK_WAIT,
            )
    await connection.execute(f"DELETE FROM {mart.table}")  # nosec B608 # mart table name from the Mart declarations


async def _run_proven(
    connection: asyncpg.Connection,
    context: CheckContext,
    mart: Mart,
    proven: list[Unique],
    build: MartBuild,
) -> None:
    """Run the Unique checks a unique index was trusted with on the candidate, in place of
    their proven results; raise `ContractViolationError` when one fails."""
    results = []
    for check, result in zip(mart.contract, build.results, strict=True):
        if isinstance(check, Unique) and check in proven:
            result = await check.run(connection, context)
        results.append(result)
    build.results = results
    failures = [result for result in results if result.failed]
    if failures:
        raise ContractViolationError(mart.table, failures)


class GoldBuildError(RuntimeError):
    """One or more marts were not published; the others were."""

    def __init__(self, builds: list[MartBuild], errors: list[Exception]) -> None:
        self.builds = builds
        self.errors = errors
        super().__init__(" | ".join(str(error) for error in errors))


async def build_marts(
    connection: asyncpg.Connection,
    marts: tuple[Mart, ...],
    run_id: uuid.UUID,
    base_currency: str,
    *,
    full: bool = False,
    connect: Connector | None = None,
) -> list[MartBuild]:
    """Build `marts` in order. A mart whose contract fails is left as it was and the others
    still build; the failures are raised together at the end as `GoldBuildError`. `connect`:
    opens the second connection on which the marts that `Mart.checks_alongside` check their
    contract while `connection` publishes (without it, they check before publishing)."""
    params = await current_params(connection, base_currency)
    await prepare_session(connection, params)
    builds: list[MartBuild] = []
    errors: list[Exception] = []
    checker = None
    if connect is not None and any(mart.checks_alongside for mart in marts):
        checker = await open_checker(connect)
    try:
        for number, mart in enumerate(marts, start=1):
            try:
                build = await build_mart(
                    connection, mart, run_id, params, full=full, checker=checker
                )
            except ContractViolationError as error:
                logger.error("gold %d/%d: %s", number, len(marts), error)
                errors.append(error)
                continue
            builds.append(build)
            logger.info("gold %d/%d: %s", number, len(marts), build.describe())
    finally:
        if checker is not None:
            await checker.close()
    if errors:
        raise GoldBuildError(builds, errors)
    return builds


async def open_checker(connect: Connector) -> asyncpg.Connection:
    """The connection that checks a contract alongside its publish (`build_mart`'s `checker`)."""
    checker = await connect()
    # As `prepare_session` sets on the build's connection; and a check that would wait for a
    # lock the publish holds (one reading the mart itself) fails instead of waiting for ever.
    await checker.execute(f"SET jit = off; SET lock_timeout = '{CHECKER_LOCK_WAIT}'")
    return checker
