"""What selects, orders and pages the rows of a list or an export, read from the query string:
typed filters, the `q` text search, the allow-listed `sort`, and whose rows a caller may see.

No `from __future__ import annotations` here on purpose: FastAPI reads the dependencies'
signatures at runtime, and each resource's filter model is named in them when they are defined.

The two readers differ only in where the page sits among the query parameters: the CRUD kit's
lists document `limit` and `offset` first, the read-only lists `q` and `sort` first. Both orders
are published in the OpenAPI documents (and the clients generated from them), so each stays.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel

from shared.crud import Resource
from shared.fast_reads import PageReads, resource_page
from shared.identity import Principal, Role
from shared.pagination import PageDep, PageParams, sort_query

SEARCH_MAX_LENGTH = 100


@dataclass(frozen=True)
class ListQuery:
    """What selects and orders the rows of a list or an export."""

    filters: dict[str, Any]
    search: str | None
    sort: str


@dataclass(frozen=True)
class PagedListQuery:
    """A `ListQuery` and the page of its rows asked for."""

    query: ListQuery
    page: PageParams


ListQueryReader = Callable[..., Awaitable[ListQuery]]
PagedListQueryReader = Callable[..., Awaitable[PagedListQuery]]


def query_model(model: type[BaseModel]) -> Any:
    """`Depends` reading `model` from the query string, one parameter per field.

    FastAPI reads a query-parameter model only when it is its dependency's sole parameter.
    """

    async def read(selected: Annotated[model, Query()]) -> BaseModel:  # type: ignore[valid-type]
        return selected

    return Depends(read)


def search_query(resource: Resource) -> Any:
    """The `q` query parameter: text search in the resource's search columns."""
    columns = ", ".join(resource.search_columns)
    return Query(
        max_length=SEARCH_MAX_LENGTH, description=f"Case-insensitive text search in {columns}."
    )


def list_query(resource: Resource, filters: type[BaseModel]) -> ListQueryReader:
    """The dependency reading a `ListQuery` of `resource`: `q`, `sort`, then the `filters`
    fields (`q` is documented even where no column is searched: it then selects every row)."""

    async def read_list_query(
        selected: Annotated[BaseModel, query_model(filters)],
        q: Annotated[str | None, search_query(resource)] = None,
        sort: Annotated[str, sort_query(resource.sort_keys)] = resource.default_sort,
    ) -> ListQuery:
        return ListQuery(selected.model_dump(exclude_none=True), q, sort)

    return read_list_query


def paged_list_query(resource: Resource, filters: type[BaseModel]) -> PagedListQueryReader:
    """The dependency reading a `PagedListQuery` of `resource`: `q` (only where `resource`
    has search columns), `sort`, `limit`, `offset`, then the `filters` fields."""
    filter_fields = query_model(filters)
    sort_keys = sort_query(resource.sort_keys)

    async def searched(
        page: PageDep,
        selected: Annotated[BaseModel, filter_fields],
        q: Annotated[str | None, search_query(resource)] = None,
        sort: Annotated[str, sort_keys] = resource.default_sort,
    ) -> PagedListQuery:
        return PagedListQuery(ListQuery(selected.model_dump(exclude_none=True), q, sort), page)

    async def unsearched(
        page: PageDep,
        selected: Annotated[BaseModel, filter_fields],
        sort: Annotated[str, sort_keys] = resource.default_sort,
    ) -> PagedListQuery:
        return PagedListQuery(ListQuery(selected.model_dump(exclude_none=True), None, sort), page)

    return searched if resource.search_columns else unsearched


def rows_owner(caller: Principal, owner: Role | None) -> str | None:
    """The subject whose rows alone `caller` may see: its own when it holds the `owner` role
    (a customer), None (every row) for staff."""
    return caller.sub if owner is not None and caller.role == owner else None


async def list_page(
    request: Request,
    pages: PageReads,
    resource: Resource,
    selected: PagedListQuery,
    owner: str | None,
) -> Mapping[str, Any]:
    """The page of `resource` rows `selected` asks for, as a `Page` body; with `owner`, only
    that owner's rows (a filter naming someone else's rows gives an empty page)."""
    query, page = selected.query, selected.page
    filters = (query.filters, query.search, query.sort)
    rows, total = await resource_page(request, pages, resource, filters, page, owner=owner)
    return {"data": rows, "count": total, "limit": page.limit, "offset": page.offset}
