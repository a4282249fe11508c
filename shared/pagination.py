"""Pagination and sorting written once: capped pages, sorting only by allow-listed keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.problems import ProblemError

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list: the items and the total matching the filters."""

    data: list[ItemT]
    count: int
    limit: int
    offset: int


class PageParams(BaseModel):
    """Where a page starts and how long it is."""

    limit: int
    offset: int


def page_body(rows: Sequence[Any], total: int, page: PageParams) -> dict[str, Any]:
    """A `Page` as a plain dict, for a route whose `response_model` validates and serialises it
    once (building the models in the route too would do that work twice per row)."""
    return {"data": rows, "count": total, "limit": page.limit, "offset": page.offset}


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size (at most 500).")
    ] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")] = 0,
) -> PageParams:
    """Dependency reading `limit` and `offset` (async: no thread pool hop per request)."""
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


def sort_query(keys: Sequence[str]) -> Any:
    """The `sort` query parameter for allow-listed keys, with a pattern clients can validate."""
    alternatives = "|".join(sorted(keys, key=len, reverse=True))
    return Query(
        max_length=200,
        pattern=rf"^[+-]?({alternatives})(,[+-]?({alternatives}))*$",
        description=f"Comma-separated keys, '-' first for descending: {', '.join(keys)}.",
    )


def order_by_clause(
    sort: str, allowed: Mapping[str, ColumnElement[Any]]
) -> list[ColumnElement[Any]]:
    """Turn `key,-other` into ORDER BY terms; unknown keys are a 422, never SQL."""
    terms: list[ColumnElement[Any]] = []
    for raw in filter(None, (part.strip() for part in sort.split(","))):
        descending = raw.startswith("-")
        key = raw.lstrip("+-")
        if key not in allowed:
            raise ProblemError(
                422, f"Cannot sort by '{key}'; allowed keys: {', '.join(sorted(allowed))}."
            )
        column = allowed[key]
        terms.append(column.desc() if descending else column.asc())
    return terms


_TOTAL = "__page_total"


async def fetch_page(
    session: AsyncSession, statement: Select[Any], page: PageParams
) -> tuple[list[dict[str, Any]], int]:
    """One page of `statement` as column dicts, and the total number of matching rows.

    One statement: the total rides along as `count(*) OVER ()`, so the page and its count come
    from the same snapshot (even in an autocommit read session) in a single round trip. Only a
    page past the end, which has no row to carry the total, costs a second count query.
    Plain mappings rather than ORM instances: a list endpoint only reads, and skipping the
    identity map is much cheaper per row.
    """
    if statement._distinct:  # the window would count rows before DISTINCT removes any
        return await _fetch_page_and_count(session, statement, page)
    counted = statement.add_columns(func.count().over().label(_TOTAL))
    result = await session.execute(counted.limit(page.limit).offset(page.offset))
    names = list(result.keys())[:-1]  # the total is the last column; zip() leaves it out
    rows = result.all()
    if rows:
        return [dict(zip(names, row, strict=False)) for row in rows], int(rows[0][-1])
    if page.offset == 0:
        return [], 0
    total = await session.scalar(
        select(func.count()).select_from(statement.order_by(None).subquery())
    )
    return [], int(total or 0)


async def _fetch_page_and_count(
    session: AsyncSession, statement: Select[Any], page: PageParams
) -> tuple[list[dict[str, Any]], int]:
    total = await session.scalar(
        select(func.count()).select_from(statement.order_by(None).subquery())
    )
    result = await session.execute(statement.limit(page.limit).offset(page.offset))
    return [dict(row) for row in result.mappings()], int(total or 0)
