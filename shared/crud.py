"""The generic repository: filtered, searched, sorted pages and audited writes of one table.

A service describes a table once as a `Resource`; `Repository` then reads and writes it. When the
service keeps a `ChangeLog`, every write records an audit row (and an outbox row, where the
service has an outbox) through it, in the caller's transaction, so a change and its records
commit or roll back together. A repository opened for an owner (a customer) sees and writes only
that owner's rows. Nothing here commits.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    RowMapping,
    Select,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import as_json, record_audit_entry
from shared.concurrency import IfMatch, check_precondition, missing_if_match
from shared.identity import Principal
from shared.integrity import ConstraintMap, integrity_problem
from shared.pagination import PageParams, fetch_page, order_by_clause
from shared.problems import ProblemError

# Filter names are column names, or a column name with one of these suffixes for ranges.
_RANGE_SUFFIXES: dict[str, Callable[[Any, Any], Any]] = {
    "_min": operator.ge,
    "_max": operator.le,
    "_from": operator.ge,
    "_before": operator.lt,
}


class Action(StrEnum):
    """What a write did, as the audit log and the outbox name it."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Filter values and the search pattern are named binds, so that statements differing only in
# them compile to the same SQL (shared/fast_reads.py compiles each shape once).
SEARCH_BIND = "search_pattern"


def filter_bind(name: str, value: Any, column: ColumnElement[Any]) -> BindParameter[Any]:
    """The bind parameter of filter `name`, typed as the column it compares with."""
    return bindparam(f"filter_{name}", value, type_=column.type)


def search_pattern(search: str) -> str:
    """The ILIKE pattern matching `search` anywhere, its wildcards taken literally."""
    return f"%{_escape_like(search)}%"


@dataclass(frozen=True)
class Resource:
    """One table as the API sees it: its key, the sort keys and the columns `q` searches.

    `owner_column` names the column holding the subject that owns a row (a customer id), for
    resources whose owners may manage their own rows. `derived_filters` are filters that name
    no column (e.g. `breached`: an array column is not empty): each turns the filter's value
    into a WHERE term. `constraints` words the database's refusals of a write for clients.
    """

    table: Table
    entity: str
    key: str
    sort_keys: tuple[str, ...]
    default_sort: str
    search_columns: tuple[str, ...] = ()
    version_column: str = "version"
    owner_column: str | None = None
    derived_filters: Mapping[str, Callable[[Any], ColumnElement[bool]]] = field(
        default_factory=dict, compare=False
    )
    # What each database constraint of the table means to a client (shared/integrity.py).
    constraints: ConstraintMap = field(default_factory=dict, compare=False)
    _sortable: dict[str, ColumnElement[Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        columns = self.table.c
        named = {self.key, *self.sort_keys, *self.search_columns}
        if self.owner_column is not None:
            named.add(self.owner_column)
        unknown = named - set(columns.keys())
        if unknown:
            raise ValueError(f"{self.entity}: no such columns {sorted(unknown)}")
        object.__setattr__(self, "_sortable", {name: columns[name] for name in self.sort_keys})

    @property
    def key_column(self) -> ColumnElement[Any]:
        """The primary key column."""
        return self.table.c[self.key]

    @property
    def tie_breakers(self) -> list[ColumnElement[Any]]:
        """The key, then the rest of a composite primary key: ordering by them is total."""
        rest = [column for column in self.table.primary_key.columns if column.name != self.key]
        return [self.key_column, *rest]

    def condition(self, name: str, value: Any) -> ColumnElement[bool]:
        """The WHERE term of one typed filter; the name decides the column and the comparison."""
        if name in self.derived_filters:
            return self.derived_filters[name](value)
        columns = self.table.c
        if name in columns:
            equal: ColumnElement[bool] = columns[name] == filter_bind(name, value, columns[name])
            return equal
        for suffix, compare in _RANGE_SUFFIXES.items():
            if name.endswith(suffix) and name.removesuffix(suffix) in columns:
                column = columns[name.removesuffix(suffix)]
                term: ColumnElement[bool] = compare(column, filter_bind(name, value, column))
                return term
        raise ValueError(f"{self.entity}: filter {name!r} names no column")

    def query(
        self,
        filters: Mapping[str, Any],
        search: str | None,
        sort: str,
        columns: Sequence[str] | None = None,
    ) -> Select[Any]:
        """SELECT of the matching rows in a stable order (the primary key breaks ties)."""
        selected = [self.table.c[name] for name in columns] if columns else [self.table]
        statement = select(*selected)
        for name, value in filters.items():
            statement = statement.where(self.condition(name, value))
        if search and self.search_columns:
            pattern = bindparam(SEARCH_BIND, search_pattern(search), type_=String)
            matches = [
                self.table.c[name].ilike(pattern, escape="\\") for name in self.search_columns
            ]
            statement = statement.where(or_(*matches))
        order = order_by_clause(sort or self.default_sort, self._sortable)
        return statement.order_by(*order, *(column.asc() for column in self.tie_breakers))


@dataclass(frozen=True)
class ChangeLog:
    """The audit table every write appends to and, for a service whose edits the pipeline
    replays (admin), the outbox table too."""

    audit: Table
    outbox: Table | None = None

    async def record(
        self,
        session: AsyncSession,
        actor: Principal,
        action: Action,
        resource: Resource,
        key: str,
        before: RowMapping | None,
        after: RowMapping | None,
    ) -> None:
        """Append who changed what (before and after) and the change event, in this transaction."""
        await record_audit_entry(
            session,
            self.audit,
            actor=actor,
            action=action.value,
            entity=resource.entity,
            entity_id=key,
            before=before,
            after=after,
        )
        if self.outbox is None:
            return
        # The pipeline replays the outbox under "latest updated_at wins": a delete carries the
        # key and the time of the delete, every other change the full row after it.
        after_json = as_json(after)
        await session.execute(
            insert(self.outbox).values(
                entity=resource.entity,
                entity_id=key,
                operation=action.value,
                payload=after_json if after_json is not None else {resource.key: key},
                updated_at=after["updated_at"] if after is not None else func.now(),
            )
        )


class Repository:
    """Reads and (audited, when a change log is given) writes of one resource in the request's
    session; opened with `owner`, it sees and writes only the rows `owner` owns."""

    def __init__(
        self,
        session: AsyncSession,
        resource: Resource,
        changes: ChangeLog | None = None,
        *,
        owner: str | None = None,
    ) -> None:
        if owner is not None and resource.owner_column is None:
            raise ValueError(f"{resource.entity}: rows have no owner column")
        self.session = session
        self.resource = resource
        self.changes = changes
        self.owner = owner

    async def get(self, key: str) -> RowMapping:
        """The row with this key, or a 404 problem (also for another owner's row)."""
        row = (
            (await self.session.execute(select(self.resource.table).where(self._is(key))))
            .mappings()
            .one_or_none()
        )
        if row is None:
            raise self._not_found(key)
        return row

    async def list(
        self, filters: Mapping[str, Any], search: str | None, sort: str, page: PageParams
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of matching rows and the number of all matching rows."""
        statement = self.resource.query(filters, search, sort)
        if self.owner is not None:
            statement = statement.where(self._owned())
        return await fetch_page(self.session, statement, page)

    async def create(self, values: Mapping[str, Any], actor: Principal) -> RowMapping:
        """Insert a row (409 if its key or a unique value exists) and record the change."""
        self._check_owner(values, new_row=True)
        statement = insert(self.resource.table).values(**values).returning(self.resource.table)
        after = await self._write(statement)
        await self._record(actor, Action.CREATE, str(after[self.resource.key]), None, after)
        return after

    async def update(
        self,
        key: str,
        changes: Mapping[str, Any],
        if_match: IfMatch,
        actor: Principal,
        check: Callable[[Mapping[str, Any]], None] | None = None,
    ) -> RowMapping:
        """Apply `changes` if the caller read the current version (else 412), and record it.

        `check` sees the row as it would be after the change and raises ValueError when that
        breaks a rule across fields: a 409, since the same change may suit another version.
        """
        before = await self._locked(key, if_match)
        if check is not None:
            try:
                check({**before, **changes})
            except ValueError as error:
                raise ProblemError(409, str(error)) from error
        return await self._update_locked(key, before, changes, actor)

    async def put(
        self, key: str, values: Mapping[str, Any], if_match: IfMatch | None, actor: Principal
    ) -> tuple[RowMapping, bool]:
        """Create the row under `key` or replace the current version of it (PUT semantics).

        Replacing needs If-Match (428 without, 412 when stale); an If-Match naming a version of
        a row that does not exist is a 412 too (RFC 9110). Returns the row and whether it is new.
        """
        before = await self._select_for_update(key)
        if before is None:
            if if_match is not None:
                raise ProblemError(
                    412, f"No {self.resource.entity} '{key}' exists to match If-Match against."
                )
            return await self.create({**values, self.resource.key: key}, actor), True
        if if_match is None:
            raise missing_if_match()
        check_precondition(if_match, int(before[self.resource.version_column]))
        return await self._update_locked(key, before, values, actor), False

    async def _update_locked(
        self, key: str, before: RowMapping, changes: Mapping[str, Any], actor: Principal
    ) -> RowMapping:
        self._check_owner(changes, new_row=False)
        table = self.resource.table
        version = table.c[self.resource.version_column]
        statement = (
            sql_update(table)
            .where(self._is(key))
            .values(**changes, **{version.name: version + 1}, updated_at=func.now())
            .returning(table)
        )
        after = await self._write(statement)
        await self._record(actor, Action.UPDATE, key, before, after)
        return after

    async def delete(self, key: str, if_match: IfMatch, actor: Principal) -> None:
        """Delete the row if the caller read the current version (else 412), and record it."""
        before = await self._locked(key, if_match)
        await self._guarded(delete(self.resource.table).where(self._is(key)), deleting=True)
        await self._record(actor, Action.DELETE, key, before, None)

    def _is(self, key: str) -> ColumnElement[bool]:
        """The row with this key, among the owner's rows when the repository has an owner."""
        match: ColumnElement[bool] = self.resource.key_column == key
        return match & self._owned() if self.owner is not None else match

    def _owned(self) -> ColumnElement[bool]:
        assert self.resource.owner_column is not None  # checked in __init__
        owned: ColumnElement[bool] = self.resource.table.c[self.resource.owner_column] == self.owner
        return owned

    def _check_owner(self, values: Mapping[str, Any], *, new_row: bool) -> None:
        """An owner may create only rows of its own and may not give a row away."""
        column = self.resource.owner_column
        if self.owner is None or column is None:
            return
        # A change to an owned row may leave the owner column out; a new row must name it.
        if (new_row or column in values) and values.get(column) != self.owner:
            raise ProblemError(403, f"You may only manage your own {self.resource.entity}s.")

    def _not_found(self, key: str) -> ProblemError:
        # Another owner's row is "not found" too, so that keys do not reveal whose rows exist.
        return ProblemError(404, f"No {self.resource.entity} with key '{key}'.")

    async def _select_for_update(self, key: str) -> RowMapping | None:
        # FOR UPDATE: a concurrent writer waits here, then sees the new version and gets a 412.
        statement = select(self.resource.table).where(self._is(key)).with_for_update()
        return (await self.session.execute(statement)).mappings().one_or_none()

    async def _locked(self, key: str, if_match: IfMatch) -> RowMapping:
        before = await self._select_for_update(key)
        if before is None:
            raise self._not_found(key)
        check_precondition(if_match, int(before[self.resource.version_column]))
        return before

    async def _write(self, statement: Any) -> RowMapping:
        row: RowMapping = (await self._guarded(statement)).mappings().one()
        return row

    async def _guarded(self, statement: Any, *, deleting: bool = False) -> Any:
        """Run a write; a refusal by a database constraint becomes a problem in API words."""
        try:
            return await self.session.execute(statement)
        except IntegrityError as error:
            resource = self.resource
            raise integrity_problem(
                error,
                resource.entity,
                resource.constraints,
                fields=frozenset(resource.table.c.keys()),
                deleting=deleting,
            ) from error

    async def _record(
        self,
        actor: Principal,
        action: Action,
        key: str,
        before: RowMapping | None,
        after: RowMapping | None,
    ) -> None:
        if self.changes is not None:
            await self.changes.record(
                self.session, actor, action, self.resource, key, before, after
            )
