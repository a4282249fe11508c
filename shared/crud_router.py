"""One router per resource, built from its `Resource` and models: list, get, create, PATCH,
delete and (optionally) CSV/XLSX exports, with roles, ETags, problem documents and operation ids.

No `from __future__ import annotations` here on purpose: FastAPI reads the endpoint signatures
at runtime, and the per-resource types are filled into them by `with_types`.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel

from shared.concurrency import IfMatchDep, etag_for
from shared.crud import ChangeLog, Repository, Resource
from shared.exports import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    binary_media_type,
    csv_export,
    file_responses,
    xlsx_export,
)
from shared.fast_reads import PageReads, resource_page
from shared.http_methods import is_head_request
from shared.identity import Principal, Role
from shared.pagination import Page, PageDep, sort_query
from shared.problems import problem_responses
from shared.request_models import PatchModel, RequestModel
from shared.service import EngineDep, SessionDep, require_role

EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])

SEARCH_MAX_LENGTH = 100


@dataclass(frozen=True)
class CrudModels:
    """The separate shapes of one resource: create and update bodies, the public row, filters."""

    create: type[RequestModel]
    update: type[PatchModel]
    public: type[BaseModel]
    filters: type[BaseModel]


@dataclass(frozen=True)
class CrudRoles:
    """The least role for each kind of operation (DESIGN.md's identity table).

    `owner` is a role (customer) that may do every operation but export on its own rows only:
    those whose `Resource.owner_column` holds its subject. Other rows are 404 to it.
    """

    read: Role = Role.VIEWER
    write: Role = Role.EDITOR
    export: Role = Role.EDITOR
    delete: Role = Role.ADMIN
    owner: Role | None = None


@dataclass(frozen=True)
class CrudApi:
    """Everything a CRUD router needs to know about one resource."""

    service: str
    noun: str
    plural: str
    resource: Resource
    models: CrudModels
    # Where writes are recorded; None for resources without an audit trail.
    changes: ChangeLog | None = None
    # The largest export for a request; None for a resource without export routes.
    export_row_cap: Callable[[Request], int] | None = None
    roles: CrudRoles = field(default_factory=CrudRoles)


@dataclass(frozen=True)
class ListQuery:
    """What selects and orders the rows of a list or an export."""

    filters: dict[str, Any]
    search: str | None
    sort: str


def with_types(endpoint: EndpointT, **annotations: Any) -> EndpointT:
    """Give a generic endpoint the concrete parameter types FastAPI validates and documents."""
    signature = inspect.signature(endpoint)
    parameters = [
        parameter.replace(annotation=annotations.get(parameter.name, parameter.annotation))
        for parameter in signature.parameters.values()
    ]
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return endpoint


def query_model(model: type[BaseModel]) -> Any:
    """`Depends` reading `model` from the query string, one parameter per field.

    FastAPI reads a query-parameter model only when it is its dependency's sole parameter.
    """

    async def read(selected: BaseModel) -> BaseModel:
        return selected

    return Depends(with_types(read, selected=Annotated[model, Query()]))


def search_query(resource: Resource) -> Any:
    """The `q` query parameter: text search in the resource's search columns."""
    columns = ", ".join(resource.search_columns)
    return Query(
        max_length=SEARCH_MAX_LENGTH, description=f"Case-insensitive text search in {columns}."
    )


def _role(role: Role, *also: Role) -> Any:
    return Depends(require_role(role, *also))


def crud_router(api: CrudApi, *, prefix: str, tag: str) -> APIRouter:
    """The router of one resource under `prefix`, its operations named `<service>_<verb>_<noun>`."""
    router = APIRouter(prefix=prefix, tags=[tag])
    resource, models, roles = api.resource, api.models, api.roles
    if roles.owner is not None and resource.owner_column is None:
        raise ValueError(f"{api.plural}: an owner role needs Resource.owner_column")
    owners = (roles.owner,) if roles.owner is not None else ()
    columns = list(models.public.model_fields)
    key_type = Annotated[
        str, Path(alias=resource.key, min_length=1, max_length=64, description="The key.")
    ]

    def operation(verb: str, noun: str) -> str:
        return f"{api.service}_{verb}_{noun}"

    def repository(session: Any, caller: Principal) -> Repository:
        owner = caller.sub if caller.role in owners else None
        return Repository(session, resource, api.changes, owner=owner)

    def tagged(response: Response, row: Any) -> dict[str, Any]:
        response.headers["ETag"] = etag_for(int(row[resource.version_column]))
        return dict(row)

    async def list_query(
        filters: Annotated[BaseModel, query_model(models.filters)],
        q: Annotated[str | None, search_query(resource)] = None,
        sort: Annotated[str, sort_query(resource.sort_keys)] = resource.default_sort,
    ) -> ListQuery:
        return ListQuery(filters.model_dump(exclude_none=True), q, sort)

    query_type = Annotated[ListQuery, Depends(list_query)]

    pages = PageReads()

    async def list_items(
        request: Request,
        page: PageDep,
        caller: Annotated[Principal, _role(roles.read, *owners)],
        query: ListQuery,
    ) -> Any:
        owner = caller.sub if caller.role in owners else None
        selected = (query.filters, query.search, query.sort)
        rows, total = await resource_page(request, pages, resource, selected, page, owner=owner)
        return {"data": rows, "count": total, "limit": page.limit, "offset": page.offset}

    def row_cap(request: Request) -> int:
        assert api.export_row_cap is not None  # export routes exist only with a cap
        return api.export_row_cap(request)

    async def export_csv(
        engine: EngineDep,
        request: Request,
        _caller: Annotated[Principal, _role(roles.export)],
        query: ListQuery,
    ) -> Response:
        statement = resource.query(query.filters, query.search, query.sort, columns)
        return await csv_export(
            engine,
            statement,
            filename=f"{api.plural}.csv",
            row_cap=row_cap(request),
            head=is_head_request(request.scope),
        )

    async def export_xlsx(
        engine: EngineDep,
        request: Request,
        _caller: Annotated[Principal, _role(roles.export)],
        query: ListQuery,
    ) -> Response:
        statement = resource.query(query.filters, query.search, query.sort, columns)
        return await xlsx_export(
            engine,
            statement,
            columns,
            filename=f"{api.plural}.xlsx",
            sheet_title=api.plural,
            row_cap=row_cap(request),
            media_type=binary_media_type(request.headers.get("accept"), XLSX_MEDIA_TYPE),
            head=is_head_request(request.scope),
        )

    async def get_item(
        session: SessionDep,
        response: Response,
        caller: Annotated[Principal, _role(roles.read, *owners)],
        key: str,
    ) -> Any:
        return tagged(response, await repository(session, caller).get(key))

    async def create_item(
        session: SessionDep,
        response: Response,
        caller: Annotated[Principal, _role(roles.write, *owners)],
        body: RequestModel,
    ) -> Any:
        row = await repository(session, caller).create(body.model_dump(), caller)
        response.headers["Location"] = f"{prefix}/{quote(str(row[resource.key]), safe='')}"
        return tagged(response, row)

    async def update_item(
        session: SessionDep,
        response: Response,
        caller: Annotated[Principal, _role(roles.write, *owners)],
        if_match: IfMatchDep,
        key: str,
        body: PatchModel,
    ) -> Any:
        row = await repository(session, caller).update(
            key, body.changes(), if_match, caller, check=body.check_result
        )
        return tagged(response, row)

    async def delete_item(
        session: SessionDep,
        caller: Annotated[Principal, _role(roles.delete, *owners)],
        if_match: IfMatchDep,
        key: str,
    ) -> Response:
        await repository(session, caller).delete(key, if_match, caller)
        return Response(status_code=204)

    noun, plural = api.noun, api.plural
    read_errors = problem_responses(401, 403, 422)
    router.get(
        "",
        operation_id=operation("list", plural),
        summary=f"List {plural}: filter, search, sort, page",
        response_model=Page[models.public],  # type: ignore[name-defined]
        responses=read_errors,
    )(with_types(list_items, query=query_type))
    if api.export_row_cap is not None:
        router.get(
            "/export/csv",
            operation_id=operation("export", f"{plural}_csv"),
            summary=f"Export the matching {plural} as CSV (streamed)",
            response_class=Response,
            responses={**file_responses(CSV_MEDIA_TYPE), **read_errors},
        )(with_types(export_csv, query=query_type))
        router.get(
            "/export/xlsx",
            operation_id=operation("export", f"{plural}_xlsx"),
            summary=f"Export the matching {plural} as an XLSX workbook",
            response_class=Response,
            responses={**file_responses(XLSX_MEDIA_TYPE), **read_errors},
        )(with_types(export_xlsx, query=query_type))
    item_path = f"/{{{resource.key}}}"
    router.get(
        item_path,
        operation_id=operation("get", noun),
        summary=f"One {noun}, with its ETag",
        response_model=models.public,
        responses=problem_responses(401, 403, 404, 422),
    )(with_types(get_item, key=key_type))
    router.post(
        "",
        operation_id=operation("create", noun),
        summary=f"Create a {noun}",
        status_code=201,
        response_model=models.public,
        responses=problem_responses(401, 403, 409, 422),
    )(with_types(create_item, body=models.create))
    router.patch(
        item_path,
        operation_id=operation("update", noun),
        summary=f"Change some fields of a {noun} (If-Match required)",
        response_model=models.public,
        responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
    )(with_types(update_item, key=key_type, body=models.update))
    router.delete(
        item_path,
        operation_id=operation("delete", noun),
        summary=f"Delete a {noun} (If-Match required)",
        status_code=204,
        response_class=Response,
        responses=problem_responses(401, 403, 404, 412, 422, 428),
    )(with_types(delete_item, key=key_type))
    return router
