"""What a mart reads, and which changes to it rebuild which part of the mart.

A mart declares its inputs once (`Mart.inputs`), and everything else derives from them: the
lineage datasets of a build (`Mart.reads`), the dirty marks silver writes when it loads a
table (`dirty_marks` in `flows.gold.marts`) and the check that the SQL reads exactly what is
declared (`tests/flows/gold/test_inputs.py`). Silver names no mart: it asks the marts.

A change to an input rebuilds one of three things:

- `Dirties.KEYS`: the scope keys of the changed rows (their days or their customers), marked in
  `ops.dirty_days` / `ops.dirty_customers` by the silver load and consumed by the next build;
- `Dirties.WHOLE`: the whole mart, which its flow rebuilds in full on every run;
- `Dirties.NEXT_DATA_DAY`: nothing at once; the full rebuild of the next data day (a mart with
  `rebuild_on_new_day`) picks it up. For inputs whose changes would dirty too much to follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    """What a build of a mart recomputes."""

    FULL = "full"  # the whole mart, built aside and swapped
    DAYS = "days"  # the days in ops.dirty_days for this mart
    CUSTOMERS = "customers"  # the customers in ops.dirty_customers for this mart


@dataclass(frozen=True)
class ScopeTables:
    """Where a scoped build finds its keys: the temporary table the mart SQL joins, its key
    column (the same name in the dirty-mark table) and the table where dirty marks wait."""

    temporary: str
    column: str
    dirty: str


SCOPE_TABLES = {
    Scope.DAYS: ScopeTables("gold_days", "day", "ops.dirty_days"),
    Scope.CUSTOMERS: ScopeTables("gold_customers", "customer_id", "ops.dirty_customers"),
}
# For a day-scoped mart split into groups (`Mart.day_groups`): the groups of a day marked dirty,
# rebuilt alone unless their whole day is dirty too. Keyed by day and the group columns.
DAY_GROUP_TABLES = ScopeTables("gold_day_groups", "day", "ops.dirty_day_groups")


class Dirties(StrEnum):
    """What a change to a mart's input rebuilds."""

    KEYS = "keys"
    WHOLE = "whole"
    NEXT_DATA_DAY = "next_data_day"


@dataclass(frozen=True)
class Input:
    """One table a mart's SQL reads (`schema.table`) and what a change to its rows rebuilds.

    For `Dirties.KEYS`, `column` is the changed row's column holding the scope key (a timestamp
    is marked as its UTC day); with `via` (a silver table's name) it is read from that table's
    rows of the changed row's order instead (`orders`: the order itself; `support_interactions`:
    the cases about it)."""

    table: str
    dirties: Dirties
    column: str | None = None
    via: str | None = None

    def __post_init__(self) -> None:
        if (self.dirties is Dirties.KEYS) != (self.column is not None):
            raise ValueError(f"{self.table}: a column is named exactly for keyed inputs")
        if self.dirties is Dirties.KEYS and not self.table.startswith("silver."):
            raise ValueError(f"{self.table}: only silver loads mark dirty keys")

    @property
    def silver_table(self) -> str | None:
        """The table's name inside silver, or None for a table of another schema."""
        schema, _, name = self.table.partition(".")
        return name if schema == "silver" else None


def keyed(table: str, column: str, *, via: str | None = None) -> Input:
    """An input whose changed rows dirty the mart's scope keys found in `column` (of the rows of
    `via` that share the changed row's order, when given)."""
    return Input(table, Dirties.KEYS, column, via)


def whole(*tables: str) -> tuple[Input, ...]:
    """Inputs of a mart rebuilt in full on every run of its flow."""
    return tuple(Input(table, Dirties.WHOLE) for table in tables)


def next_data_day(table: str) -> Input:
    """An input whose changes wait for the mart's full rebuild on the next data day."""
    return Input(table, Dirties.NEXT_DATA_DAY)


def check_inputs(
    table: str, scope: Scope, inputs: tuple[Input, ...], rebuild_on_new_day: bool
) -> None:
    """Raise ValueError when a mart's inputs do not fit its scope: a whole mart has only
    `WHOLE` inputs; a scoped one keyed inputs, or next-data-day ones if a new day rebuilds it."""
    for item in inputs:
        if (scope is Scope.FULL) != (item.dirties is Dirties.WHOLE):
            raise ValueError(f"{table}: a {scope} mart cannot have a {item.dirties} input")
        if item.dirties is Dirties.NEXT_DATA_DAY and not rebuild_on_new_day:
            raise ValueError(f"{table}: {item.table} waits for a new data day it never gets")


@dataclass(frozen=True)
class DirtyMark:
    """What a silver load marks for a table's changed rows: the keys in `column` (of the row,
    or of the `via` table's rows of its order) for each of `marts`, in the scope's dirty-mark
    table. With `groups` (columns of the same row), the marks are (day, *groups) groups in the
    day groups' table instead of whole days."""

    scope: Scope
    column: str
    marts: tuple[str, ...]
    via: str | None = None
    groups: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.groups and self.scope is not Scope.DAYS:
            raise ValueError(f"{self.marts}: only days split into groups")

    @property
    def target(self) -> ScopeTables:
        """The dirty-mark table and its key column."""
        return DAY_GROUP_TABLES if self.groups else SCOPE_TABLES[self.scope]

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns read for a key: the scope's column, then the group's."""
        return (self.column, *self.groups)
