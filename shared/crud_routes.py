"""One builder per CRUD operation of a resource: list, get, create, update (PATCH) and delete.

Each adds one route to a router from the resource's `CrudApi`: its endpoint, operation id,
summary, response model and declared problem responses. `shared/crud_router.py` puts them
together; `shared/export_routes.py` holds the export builders.

No `from __future__ import annotations` here on purpose: FastAPI reads the endpoint signatures
at runtime, and each resource's models are named in them when they are defined. mypy cannot see
a model held in a variable as a type, hence the `type: ignore[name-defined]` on those lines.
"""

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.types import DecoratedCallable
from sqlalchemy import RowMapping

from shared.concurrency import IfMatchDep, etag_for
from shared.crud import Resource
from shared.crud_api import CrudApi
from shared.fast_reads import PageReads
from shared.identity import Principal
from shared.list_query import ListQuery, ListQueryReader, PagedListQuery, list_page, rows_owner
from shared.pagination import Page, PageDep
from shared.service import SessionDep


def with_etag(response: Response, resource: Resource, row: RowMapping) -> dict[str, Any]:
    """`row` as a response body, its version sent as the response's `ETag`."""
    response.headers["ETag"] = etag_for(int(row[resource.version_column]))
    return dict(row)


def item_route(
    router: APIRouter, api: CrudApi, method: str, verb: str, summary: str, *errors: int
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """Decorator adding an endpoint at `/{key}` that answers one row as `public`, named
    `<service>_<verb>_<noun>` and declaring the problem statuses `errors`."""
    return router.api_route(
        api.item_path,
        methods=[method],
        response_model=api.models.public,
        **api.documented(verb, api.noun, summary, *errors),
    )


def add_list_operation(router: APIRouter, api: CrudApi, reader: ListQueryReader) -> None:
    """`GET ""`: a page of rows as `Page[public]`, filtered, searched and sorted as `reader`
    reads it; readable from `roles.read` up, and by an owner for its own rows."""
    pages = PageReads()
    summary = f"List {api.plural}: filter, search, sort, page"

    @router.get(
        "",
        response_model=Page[api.models.public],  # type: ignore[name-defined]
        **api.documented("list", api.plural, summary, 401, 403, 422),
    )
    async def list_items(
        request: Request,
        page: PageDep,
        caller: Annotated[Principal, api.admitting(api.roles.read)],
        query: Annotated[ListQuery, Depends(reader)],
    ) -> Any:
        owner = rows_owner(caller, api.roles.owner)
        return await list_page(request, pages, api.resource, PagedListQuery(query, page), owner)


def add_get_operation(router: APIRouter, api: CrudApi) -> None:
    """`GET /{key}`: one row as `public`, with its ETag; readable from `roles.read` up, and
    by an owner for its own rows."""
    summary = f"One {api.noun}, with its ETag"

    @item_route(router, api, "GET", "get", summary, 401, 403, 404, 422)
    async def get_item(
        session: SessionDep,
        response: Response,
        caller: Annotated[Principal, api.admitting(api.roles.read)],
        key: Annotated[str, api.key_parameter()],
    ) -> Any:
        return with_etag(response, api.resource, await api.repository(session, caller).get(key))


def add_create_operation(router: APIRouter, api: CrudApi, prefix: str) -> None:
    """`POST ""`: create a row from a `create` body; 201 with its `Location` (under `prefix`)
    and ETag. Allowed from `roles.write` up, and to an owner for its own rows."""
    summary = f"Create a {api.noun}"

    @router.post(
        "",
        status_code=201,
        response_model=api.models.public,
        **api.documented("create", api.noun, summary, 401, 403, 409, 422),
    )
    async def create_item(
        session: SessionDep,
        response: Response,
        caller: Annotated[Principal, api.admitting(api.roles.write)],
        body: api.models.create,  # type: ignore[name-defined]
    ) -> Any:
        row = await api.repository(session, caller).create(body.model_dump(), caller)
        response.headers["Location"] = f"{prefix}/{quote(str(row[api.resource.key]), safe='')}"
        return with_etag(response, api.resource, row)


def add_update_operation(router: APIRouter, api: CrudApi) -> None:
    """`PATCH /{key}`: change the fields an `update` body names, If-Match required. Allowed
    from `roles.write` up, and to an owner for its own rows."""
    summary = f"Change some fields of a {api.noun} (If-Match required)"

    @item_route(router, api, "PATCH", "update", summary, 401, 403, 404, 409, 412, 422, 428)
    async def update_item(
        session: SessionDep,
        response: Response,
        caller: Annotated[Principal, api.admitting(api.roles.write)],
        if_match: IfMatchDep,
        key: Annotated[str, api.key_parameter()],
        body: api.models.update,  # type: ignore[name-defined]
    ) -> Any:
        row = await api.repository(session, caller).update(
            key, body.changes(), if_match, caller, check=body.check_result
        )
        return with_etag(response, api.resource, row)


def add_delete_operation(router: APIRouter, api: CrudApi) -> None:
    """`DELETE /{key}`: delete a row, If-Match required; 204. Allowed from `roles.delete` up,
    and to an owner for its own rows."""
    summary = f"Delete a {api.noun} (If-Match required)"

    @router.delete(
        api.item_path,
        status_code=204,
        response_class=Response,
        **api.documented("delete", api.noun, summary, 401, 403, 404, 412, 422, 428),
    )
    async def delete_item(
        session: SessionDep,
        caller: Annotated[Principal, api.admitting(api.roles.delete)],
        if_match: IfMatchDep,
        key: Annotated[str, api.key_parameter()],
    ) -> Response:
        await api.repository(session, caller).delete(key, if_match, caller)
        return Response(status_code=204)
