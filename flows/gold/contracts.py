"""Data contracts: checks a mart's candidate rows must pass before they are published.

A mart declares its contract as a tuple of checks (dbt's tests, as code). Each check runs against
the candidate table the build wrote aside, and yields one `CheckResult`: pass, warn or error, the
number of failing rows and a sample of them. An `error` stops that mart from publishing; a `warn`
is recorded and the mart publishes. Results land in `ops.quality_results`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Literal, Protocol

import asyncpg

Severity = Literal["warn", "error"]
# `CheckContext.replaced` of a build that replaces every row of its mart.
EVERY_ROW = "true"
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class CheckContext:
    """Where a check looks: the candidate rows, the published mart and how they overlap."""

    # The published table, `schema.name`. A check run alongside the publish
    # (`Mart.checks_alongside`) must not read it: the publish holds it until the checks end.
    mart: str
    candidate: str  # the table holding the rows about to be published
    replaced: str  # a WHERE clause over the mart selecting the rows the candidate replaces
    # The mart's row count when the last build published it (ops.mart_builds), so an incremental
    # build need not count every row; None: count them.
    published_rows: int | None = None
    # The candidate's row count when the build knows it (the insert's count); None: count it.
    candidate_rows: int | None = None

    @property
    def replaces_every_row(self) -> bool:
        """Whether the candidate replaces the whole mart (a full build)."""
        return self.replaced == EVERY_ROW


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check."""

    check_name: str
    severity: Severity
    status: Literal["pass", "warn", "error"]
    failing_rows: int = 0
    sample: tuple[dict[str, object], ...] = ()
    detail: str = ""

    @property
    def failed(self) -> bool:
        """Whether the check stops the mart from publishing."""
        return self.status == "error"

    def describe(self) -> str:
        """`check: detail (n rows)` for error messages and logs."""
        rows = f" ({self.failing_rows} row(s))" if self.failing_rows else ""
        return f"{self.check_name}: {self.detail}{rows}"


class Check(Protocol):
    """One declared expectation about a mart."""

    @property
    def severity(self) -> Severity:
        """`error` stops publishing; `warn` is recorded only."""
        ...

    @property
    def name(self) -> str:
        """A stable name: the check kind and its columns."""
        ...

    async def run(self, connection: asyncpg.Connection, context: CheckContext) -> CheckResult:
        """Evaluate the check."""
        ...


def _jsonable(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


async def _failing_rows(
    connection: asyncpg.Connection, check: RowCheck, context: CheckContext, count: int | None = None
) -> CheckResult:
    """Count (unless `count` is known) and sample the rows `check.failing_sql` selects."""
    query = check.failing_sql(context)
    if count is None:
        count = await connection.fetchval(f"SELECT count(*) FROM ({query}) AS failing")  # nosec B608 # columns/conditions from the declared mart contracts; values bound
    sample: tuple[dict[str, object], ...] = ()
    if count:
        rows = await connection.fetch(f"SELECT * FROM ({query}) AS failing LIMIT {SAMPLE_ROWS}")  # nosec B608 # columns/conditions from the declared mart contracts; values bound
        sample = tuple({k: _jsonable(v) for k, v in row.items()} for row in rows)
    status = "pass" if not count else check.severity
    return CheckResult(check.name, check.severity, status, int(count), sample, check.explain())


class RowCheck:
    """A check whose failures are rows of the candidate."""

    severity: Severity = "error"

    @property
    def name(self) -> str:  # pragma: no cover - every subclass names itself
        raise NotImplementedError

    def failing_sql(self, context: CheckContext) -> str:
        """The candidate's failing rows: by default those `failing_condition` selects."""
        condition = self.failing_condition()
        if condition is None:  # pragma: no cover - a check without a condition selects its own
            raise NotImplementedError
        return f"SELECT * FROM {context.candidate} WHERE {condition}"  # nosec B608 # columns/conditions from the declared mart contracts; values bound

    def failing_condition(self) -> str | None:
        """The check as a condition on one candidate row (true: the row fails), when it is
        one; `run_contract` then counts it in the same scan as the other such checks."""
        return None

    def explain(self) -> str:  # pragma: no cover
        raise NotImplementedError

    async def run(self, connection: asyncpg.Connection, context: CheckContext) -> CheckResult:
        """Count and sample the failing rows."""
        return await _failing_rows(connection, self, context)


def _columns(columns: Sequence[str]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


@dataclass(frozen=True)
class Unique(RowCheck):
    """No two candidate rows share these columns."""

    columns: tuple[str, ...]
    severity: Severity = "error"

    @property
    def name(self) -> str:
        return f"unique({', '.join(self.columns)})"

    def failing_sql(self, context: CheckContext) -> str:
        cols = _columns(self.columns)
        return (
            f"SELECT {cols}, count(*) AS copies FROM {context.candidate}"  # nosec B608 # columns/conditions from the declared mart contracts; values bound
            f" GROUP BY {cols} HAVING count(*) > 1"
        )

    def explain(self) -> str:
        return f"{', '.join(self.columns)} must identify one row"

    def passed(self) -> CheckResult:
        """The result of a check the mart's own unique index proved: the candidate was
        inserted into the mart, and the index refuses two rows with the same key."""
        return CheckResult(self.name, self.severity, "pass", 0, (), self.explain())


@dataclass(frozen=True)
class NotNull(RowCheck):
    """Every candidate row fills these columns."""

    columns: tuple[str, ...]
    severity: Severity = "error"

    @property
    def name(self) -> str:
        return f"not_null({', '.join(self.columns)})"

    def failing_condition(self) -> str:
        return " OR ".join(f'"{column}" IS NULL' for column in self.columns)

    def explain(self) -> str:
        return f"{', '.join(self.columns)} must not be empty"


@dataclass(frozen=True)
class AcceptedValues(RowCheck):
    """A column holds only listed values (NULL is left to `NotNull`)."""

    column: str
    values: tuple[str, ...]
    severity: Severity = "error"

    @property
    def name(self) -> str:
        return f"accepted_values({self.column})"

    def failing_condition(self) -> str:
        listed = ", ".join("'" + value.replace("'", "''") + "'" for value in self.values)
        return f'"{self.column}" IS NOT NULL AND "{self.column}"::text NOT IN ({listed})'

    def explain(self) -> str:
        return f"{self.column} must be one of {', '.join(self.values)}"


@dataclass(frozen=True)
class Range(RowCheck):
    """A numeric column stays within bounds (inclusive; None leaves a side open)."""

    column: str
    min: float | None = None
    max: float | None = None
    severity: Severity = "error"

    @property
    def name(self) -> str:
        return f"range({self.column})"

    def failing_condition(self) -> str:
        bounds = []
        if self.min is not None:
            bounds.append(f'"{self.column}" < {self.min!r}')
        if self.max is not None:
            bounds.append(f'"{self.column}" > {self.max!r}')
        return " OR ".join(bounds) or "false"

    def explain(self) -> str:
        low = "-inf" if self.min is None else self.min
        high = "+inf" if self.max is None else self.max
        return f"{self.column} must lie in [{low}, {high}]"


@dataclass(frozen=True)
class Relationship(RowCheck):
    """Every non-NULL value of a column exists in a parent table's column."""

    column: str
    parent: str  # `schema.table`
    parent_column: str
    severity: Severity = "error"

    @property
    def name(self) -> str:
        return f"relationship({self.column} -> {self.parent}.{self.parent_column})"

    def failing_sql(self, context: CheckContext) -> str:
        return (
            f'SELECT c.* FROM {context.candidate} c WHERE c."{self.column}" IS NOT NULL'  # nosec B608 # columns/conditions from the declared mart contracts; values bound
            f" AND NOT EXISTS (SELECT 1 FROM {self.parent} p"
            f' WHERE p."{self.parent_column}" = c."{self.column}")'
        )

    def explain(self) -> str:
        return f"{self.column} must exist in {self.parent}.{self.parent_column}"


@dataclass(frozen=True)
class Expression(RowCheck):
    """A row-level rule as SQL over the candidate's columns (e.g. `refunds <= orders`)."""

    label: str
    condition: str
    severity: Severity = "error"

    @property
    def name(self) -> str:
        return f"expression({self.label})"

    def failing_condition(self) -> str:
        return f"NOT ({self.condition})"

    def explain(self) -> str:
        return f"every row must satisfy {self.condition}"


@dataclass(frozen=True)
class RowCountChange:
    """Publishing may not change the mart's row count by more than a share of it.

    A bug upstream (a silver table emptied, a join gone wrong) shows as a mart that suddenly
    halves; this stops it. A mart with fewer than `min_rows` rows is exempt (first builds).
    """

    max_change: float
    min_rows: int = 20
    severity: Severity = "error"

    @property
    def name(self) -> str:
        return "row_count_change"

    async def run(self, connection: asyncpg.Connection, context: CheckContext) -> CheckResult:
        before = context.published_rows
        if before is None:
            before = await connection.fetchval(f"SELECT count(*) FROM {context.mart}")  # nosec B608 # columns/conditions from the declared mart contracts; values bound
        replaced = before
        if not context.replaces_every_row:
            replaced = await connection.fetchval(
                f"SELECT count(*) FROM {context.mart} WHERE {context.replaced}"  # nosec B608 # columns/conditions from the declared mart contracts; values bound
            )
        candidate = context.candidate_rows
        if candidate is None:
            candidate = await connection.fetchval(f"SELECT count(*) FROM {context.candidate}")  # nosec B608 # columns/conditions from the declared mart contracts; values bound
        after = before - replaced + candidate
        change = abs(after - before) / before if before else 0.0
        detail = (
            f"row count would go from {before} to {after} ({change:.0%}; limit "
            f"{self.max_change:.0%})"
        )
        failed = before >= self.min_rows and change > self.max_change
        status = self.severity if failed else "pass"
        return CheckResult(self.name, self.severity, status, 0, (), detail)


@dataclass(frozen=True)
class Freshness:
    """The newest row of a source (by a timestamp column) is recent enough.

    `warn_after` records a warning; `error_after` stops publishing: a mart built on a source
    that stopped arriving would present old numbers as current.
    """

    source: str  # `schema.table`
    column: str
    warn_after: timedelta
    error_after: timedelta
    severity: Severity = "error"

    @property
    def name(self) -> str:
        return f"freshness({self.source}.{self.column})"

    async def run(self, connection: asyncpg.Connection, context: CheckContext) -> CheckResult:
        age: timedelta | None = await connection.fetchval(
            f'SELECT now() - max("{self.column}") FROM {self.source}'  # nosec B608 # columns/conditions from the declared mart contracts; values bound
        )
        if age is None:
            return CheckResult(self.name, self.severity, "pass", 0, (), f"{self.source} is empty")
        detail = (
            f"newest {self.source}.{self.column} is {age} old (warn after {self.warn_after},"
            f" error after {self.error_after})"
        )
        if age > self.error_after:
            return CheckResult(self.name, self.severity, self.severity, 0, (), detail)
        if age > self.warn_after:
            return CheckResult(self.name, self.severity, "warn", 0, (), detail)
        return CheckResult(self.name, self.severity, "pass", 0, (), detail)


async def run_contract(
    connection: asyncpg.Connection,
    context: CheckContext,
    contract: Sequence[Check],
    proven: Collection[Unique] = (),
) -> list[CheckResult]:
    """Every check's result, in the contract's order. The checks that are a condition on one
    row are counted together in one scan of the candidate (a million-row mart with a dozen
    such checks was scanned a dozen times); only a failing one reads its sample. `proven`:
    Unique checks a unique index of the table holding the candidate enforced as the rows went
    in (`unique_checks_proven`), so they passed without reading a row."""
    conditions = {
        position: (check, condition)
        for position, check in enumerate(contract)
        if isinstance(check, RowCheck) and (condition := check.failing_condition()) is not None
    }
    counts: list[int] = []
    if conditions:
        counted = ", ".join(
            f"count(*) FILTER (WHERE {condition})" for _, condition in conditions.values()
        )
        row = await connection.fetchrow(f"SELECT {counted} FROM {context.candidate}")  # nosec B608 # columns/conditions from the declared mart contracts; values bound
        counts = list(row or ())
    counted_checks = dict(zip(conditions, counts, strict=True))
    results = []
    for position, check in enumerate(contract):
        if position in counted_checks:
            row_check, _ = conditions[position]
            count = counted_checks[position]
            results.append(await _failing_rows(connection, row_check, context, count))
        elif isinstance(check, Unique) and check in proven:
            results.append(check.passed())
        else:
            results.append(await check.run(connection, context))
    return results


async def unique_checks_proven(
    connection: asyncpg.Connection, table: str, contract: Sequence[Check]
) -> list[Unique]:
    """The contract's Unique checks that `table`'s own unique indexes enforce on every insert:
    an index that is valid, checked immediately (not deferred), neither partial nor on
    expressions, whose columns are all NOT NULL (so no two rows may share them) and among the
    check's columns (rows differing there differ on the check's columns too)."""
    rows = await connection.fetch(
        """
        SELECT array_agg(a.attname::text) AS columns
        FROM pg_index i
        -- The key columns only: an index's INCLUDE columns take no part in its uniqueness.
        CROSS JOIN LATERAL unnest(i.indkey::smallint[]) WITH ORDINALITY AS k (attnum, position)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = $1::regclass AND k.position <= i.indnkeyatts
            AND i.indisunique AND i.indisvalid AND i.indisready AND i.indimmediate
            AND i.indpred IS NULL AND i.indexprs IS NULL
        GROUP BY i.indexrelid
        HAVING bool_and(a.attnotnull)
        """,
        table,
    )
    keys = [set(row["columns"]) for row in rows]
    return [
        check
        for check in contract
        if isinstance(check, Unique) and any(key <= set(check.columns) for key in keys)
    ]


async def record_results(
    connection: asyncpg.Connection, run_id: object, mart: str, results: Sequence[CheckResult]
) -> None:
    """Append the results of one mart build to `ops.quality_results`."""
    await connection.executemany(
        """
        INSERT INTO ops.quality_results
            (run_id, mart, check_name, severity, status, failing_rows, sample, detail)
        VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
        """,
        [
            (
                run_id,
                mart,
                result.check_name,
                result.severity,
                result.status,
                result.failing_rows,
                json.dumps(list(result.sample)),
                result.detail,
            )
            for result in results
        ],
    )
