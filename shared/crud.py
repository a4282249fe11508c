"""The generic repository: filtered, searched, sorted pages and audited writes of one table.

A service describes a table once as a `Resource`; `Repository` then reads and writes it. Every
write records an audit row and an outbox row through the `ChangeLog`, in the caller's
transaction, so a change and its records commit or roll back together. Nothing here commits.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import ColumnElement, RowMapping, Select, Table, delete, func, insert, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.concurrency import IfMatch, check_precondition
from shared.identity import Principal
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


@dataclass(frozen=True)
class Resource:
    """One table as the API sees it: its key, the sort keys and the columns `q` searches."""

    table: Table
    entity: str
    key: str
    sort_keys: tuple[str, ...]
    default_sort: str
    search_columns: tuple[str, ...] = ()
    version_column: str = "version"
    _sortable: dict[str, ColumnElement[Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        columns = self.table.c
        unknown = {self.key, *self.sort_keys, *self.search_columns} - set(columns.keys())
        if unknown:
            raise ValueError(f"{self.entity}: no such columns {sorted(unknown)}")
        object.__setattr__(self, "_sortable", {name: columns[name] for name in self.sort_keys})

    @property
    def key_column(self) -> ColumnElement[Any]:
        """The primary key column."""
        return self.table.c[self.key]

    def condition(self, name: str, value: Any) -> ColumnElement[bool]:
        """The WHERE term of one typed filter; the name decides the column and the comparison."""
        columns = self.table.c
        if name in columns:
            equal: ColumnElement[bool] = columns[name] == value
            return equal
        for suffix, compare in _RANGE_SUFFIXES.items():
            if name.endswith(suffix) and name.removesuffix(suffix) in columns:
                term: ColumnElement[bool] = compare(columns[name.removesuffix(suffix)], value)
                return term
        raise ValueError(f"{self.entity}: filter {name!r} names no column")

    def query(
        self,
        filters: Mapping[str, Any],
        search: str | None,
        sort: str,
        columns: Sequence[str] | None = None,
    ) -> Select[Any]:
        """SELECT of the matching rows in a stable order (the key breaks ties)."""
        selected = [self.table.c[name] for name in columns] if columns else [self.table]
        statement = select(*selected)
        for name, value in filters.items():
            statement = statement.where(self.condition(name, value))
        if search and self.search_columns:
            pattern = f"%{_escape_like(search)}%"
            matches = [
                self.table.c[name].ilike(pattern, escape="\\") for name in self.search_columns
            ]
            statement = statement.where(or_(*matches))
        order = order_by_clause(sort or self.default_sort, self._sortable)
        return statement.order_by(*order, self.key_column.asc())


@dataclass(frozen=True)
class ChangeLog:
    """The audit table and the outbox table every write appends to."""

    audit: Table
    outbox: Table

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
        before_json = to_jsonable_python(dict(before)) if before is not None else None
        after_json = to_jsonable_python(dict(after)) if after is not None else None
        await session.execute(
            insert(self.audit).values(
                actor_sub=actor.sub,
                actor_role=actor.role.value,
                action=action.value,
                entity=resource.entity,
                entity_id=key,
                before=before_json,
                after=after_json,
            )
        )
        # The pipeline replays the outbox under "latest updated_at wins": a delete carries the
        # key and the time of the delete, every other change the full row after it.
        await session.execute(
            insert(self.outbox).values(
                entity=resource.entity,
                entity_id=key,
                operation=action.value,
                payload=after_json if after_json is not None else {resource.key: key},
                updated_at=after["updated_at"] if after is not None else func.now(),
            )
        )


def _constraint_problem(error: IntegrityError, resource: Resource) -> ProblemError:
    """A 409 for a duplicate, a 422 for any other rule the database refused."""
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    cause = error.orig.__cause__ if error.orig is not None else None
    detail = getattr(cause, "detail", None) or ""
    if sqlstate == "23505":
        return ProblemError(409, f"This {resource.entity} already exists. {detail}".strip())
    constraint = getattr(cause, "constraint_name", None) or "a database rule"
    return ProblemError(422, f"The {resource.entity} breaks {constraint}. {detail}".strip())


class Repository:
    """Reads and audited writes of one resource in the request's session."""

    def __init__(self, session: AsyncSession, resource: Resource, changes: ChangeLog) -> None:
        self.session = session
        self.resource = resource
        self.changes = changes

    async def get(self, key: str) -> RowMapping:
        """The row with this key, or a 404 problem."""
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
    ) -> tuple[list[RowMapping], int]:
        """One page of matching rows and the number of all matching rows."""
        return await fetch_page(self.session, self.resource.query(filters, search, sort), page)

    async def create(self, values: Mapping[str, Any], actor: Principal) -> RowMapping:
        """Insert a row (409 if its key or a unique value exists) and record the change."""
        statement = insert(self.resource.table).values(**values).returning(self.resource.table)
        after = await self._write(statement)
        await self._record(actor, Action.CREATE, str(after[self.resource.key]), None, after)
        return after

    async def update(
        self, key: str, changes: Mapping[str, Any], if_match: IfMatch, actor: Principal
    ) -> RowMapping:
        """Apply `changes` if the caller read the current version (else 412), and record it."""
        before = await self._locked(key, if_match)
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
        await self.session.execute(delete(self.resource.table).where(self._is(key)))
        await self._record(actor, Action.DELETE, key, before, None)

    def _is(self, key: str) -> ColumnElement[bool]:
        return self.resource.key_column == key

    def _not_found(self, key: str) -> ProblemError:
        return ProblemError(404, f"No {self.resource.entity} with key '{key}'.")

    async def _locked(self, key: str, if_match: IfMatch) -> RowMapping:
        # FOR UPDATE: a concurrent writer waits here, then sees the new version and gets a 412.
        statement = select(self.resource.table).where(self._is(key)).with_for_update()
        before = (await self.session.execute(statement)).mappings().one_or_none()
        if before is None:
            raise self._not_found(key)
        check_precondition(if_match, int(before[self.resource.version_column]))
        return before

    async def _write(self, statement: Any) -> RowMapping:
        try:
            return (await self.session.execute(statement)).mappings().one()
        except IntegrityError as error:
            raise _constraint_problem(error, self.resource) from error

    async def _record(
        self,
        actor: Principal,
        action: Action,
        key: str,
        before: RowMapping | None,
        after: RowMapping | None,
    ) -> None:
        await self.changes.record(self.session, actor, action, self.resource, key, before, after)
