"""Plain page reads without an ORM session: SQL compiled once per query shape, run on a pooled
asyncpg connection.

A list page is one SELECT whose structure depends only on which filters are present, whether a
text search is given and the sort (its *shape*); the filter values, the search pattern, the
limit and the offset are bind parameters. So each shape is built and compiled by SQLAlchemy once
(on its first request) and every later request of that shape only binds its values and sends
the SQL through asyncpg, which keeps a prepared statement per SQL text on each connection.

The connection comes from the service's SQLAlchemy pool (no second pool, so no extra database
connections) through the same fair gate as request sessions, and is used without a transaction:
one statement sees one snapshot, as in the AUTOCOMMIT read sessions it replaces. Rows are
returned as plain dicts; the route's `response_model` validates and serialises them as before.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from starlette.requests import Request

from shared.crud import SEARCH_BIND, Resource, search_pattern
from shared.fair_gate import FairGate
from shared.pagination import PageParams

# Bind names of the page window; a statement's own binds must not use them.
LIMIT_BIND = "page_limit"
OFFSET_BIND = "page_offset"
_TOTAL = "__page_total"
# Shapes kept per cache (least recently used dropped first): sorts and filter sets are bounded
# by the API, but their combinations need not all stay compiled.
MAX_SHAPES = 256
# Errors PostgreSQL reported for a statement leave the connection usable; anything else
# (a lost connection, a cancelled request mid-query) may not, so it is discarded.
_STATEMENT_ERRORS = (asyncpg.exceptions.PostgresError,)
_CONNECTION_ERRORS = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
)


@dataclass(frozen=True)
class CompiledRead:
    """One statement compiled for asyncpg: its SQL and how to order and convert its values."""

    sql: str
    names: tuple[str, ...]  # bind names in positional ($1, $2, ...) order
    processors: tuple[Callable[[Any], Any] | None, ...]
    constants: Mapping[str, Any]  # values bound when the statement was built (not per request)

    @classmethod
    def of(cls, statement: Select[Any], dialect: Dialect) -> CompiledRead:
        """Compile `statement` for `dialect` (expanding IN lists into plain parameters)."""
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        names = tuple(compiled.positiontup or ())
        processors = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        constants = compiled.construct_params(escape_names=False)
        return cls(str(compiled), names, processors, constants)

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for `values` (binds not in `values` keep their constant)."""
        arguments = []
        for name, process in zip(self.names, self.processors, strict=True):
            value = values[name] if name in values else self.constants[name]
            arguments.append(process(value) if process is not None and value is not None else value)
        return arguments


@dataclass(frozen=True)
class _PageShape:
    page: CompiledRead  # rows plus count(*) OVER (), or only rows for a DISTINCT statement
    count: CompiledRead  # the number of matching rows
    counted_by_window: bool
    variables: frozenset[str]  # the binds each request must supply


class PageReads:
    """Compiled page queries of one list, by shape (bounded, least recently used dropped)."""

    def __init__(self, max_shapes: int = MAX_SHAPES) -> None:
        self.max_shapes = max_shapes
        self._shapes: OrderedDict[Hashable, _PageShape] = OrderedDict()

    def __len__(self) -> int:
        return len(self._shapes)

    def shape(
        self,
        key: Hashable,
        build: Callable[[], Select[Any]],
        variables: frozenset[str],
        dialect: Dialect,
    ) -> _PageShape:
        """The compiled queries of shape `key`, built by `build()` on first use."""
        found = self._shapes.get(key)
        if found is not None:
            self._shapes.move_to_end(key)
            if found.variables != variables:
                raise ValueError(f"shape {key!r} binds {sorted(found.variables)}, not {variables}")
            return found
        statement = build()
        counted_by_window = not statement._distinct  # the window would count before DISTINCT
        limit = bindparam(LIMIT_BIND, 1, type_=Integer)  # values bound per request
        offset = bindparam(OFFSET_BIND, 0, type_=Integer)
        paged = (
            statement.add_columns(func.count().over().label(_TOTAL))
            if counted_by_window
            else statement
        )
        count = select(func.count()).select_from(statement.order_by(None).subquery())
        made = _PageShape(
            CompiledRead.of(paged.limit(limit).offset(offset), dialect),
            CompiledRead.of(count, dialect),
            counted_by_window,
            variables,
        )
        self._shapes[key] = made
        if len(self._shapes) > self.max_shapes:
            self._shapes.popitem(last=False)
        return made


@asynccontextmanager
async def read_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A pooled asyncpg connection for plain reads, admitted through the app's fair gate."""
    state = request.app.state
    gate: FairGate = state.session_gate
    engine: AsyncEngine = state.engine
    async with gate.hold():
        pooled: PoolProxiedConnection = await engine.raw_connection()
        try:
            yield pooled.driver_connection
        except _CONNECTION_ERRORS:
            pooled.invalidate()
            raise
        except _STATEMENT_ERRORS:
            pooled.close()
            raise
        except BaseException:
            pooled.invalidate()  # e.g. cancelled mid-query: its protocol state is unknown
            raise
        else:
            pooled.close()


async def read_page(
    request: Request,
    reads: PageReads,
    key: Hashable,
    build: Callable[[], Select[Any]],
    values: Mapping[str, Any],
    page: PageParams,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the statement `build()` makes (shape `key`, binds `values`) as column dicts,
    and the number of all matching rows.

    As `shared.pagination.fetch_page`: the total rides along as `count(*) OVER ()`, so page and
    count come from one statement; only a page past the end (no row to carry the total) or a
    DISTINCT statement costs a count query.
    """
    engine: AsyncEngine = request.app.state.engine
    async with read_connection(request) as connection:
        shape = reads.shape(key, build, frozenset(values), engine.dialect)
        bound = {**values, LIMIT_BIND: page.limit, OFFSET_BIND: page.offset}
        rows = await connection.fetch(shape.page.sql, *shape.page.arguments(bound))
        data = [dict(row) for row in rows]
        if shape.counted_by_window:
            if data:
                total = int(data[0][_TOTAL])
                for row in data:
                    del row[_TOTAL]
                return data, total
            if page.offset == 0:
                return [], 0
        counted = await connection.fetchval(shape.count.sql, *shape.count.arguments(values))
        return data, int(counted or 0)


OWNER_BIND = "owner_subject"


async def resource_page(
    request: Request,
    reads: PageReads,
    resource: Resource,
    query: tuple[Mapping[str, Any], str | None, str],
    page: PageParams,
    *,
    owner: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of `resource` rows matching `query` (filters, search, sort) and their number;
    with `owner`, only the rows `Resource.owner_column` says `owner` owns.

    Filter values are binds, except those of derived filters: those may change the statement's
    structure (`breached=false` is another test than `breached=true`), so they are in the shape.
    """
    filters, search, sort = query
    derived = resource.derived_filters
    plain = tuple(sorted(name for name in filters if name not in derived))
    searching = bool(search) and bool(resource.search_columns)
    key = (
        plain,
        tuple(sorted((name, value) for name, value in filters.items() if name in derived)),
        searching,
        sort,
        owner is not None,
    )
    values: dict[str, Any] = {f"filter_{name}": filters[name] for name in plain}
    if searching:
        assert search is not None
        values[SEARCH_BIND] = search_pattern(search)
    if owner is not None:
        values[OWNER_BIND] = owner

    def build() -> Select[Any]:
        statement = resource.query(filters, search, sort)
        if owner is None:
            return statement
        if resource.owner_column is None:
            raise ValueError(f"{resource.entity}: rows have no owner column")
        column = resource.table.c[resource.owner_column]
        return statement.where(column == bindparam(OWNER_BIND, owner, type_=column.type))

    return await read_page(request, reads, key, build, values, page)
