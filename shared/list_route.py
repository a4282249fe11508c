"""A read-only list route built from a `Resource`: typed filters, optional text search,
allow-listed sort and capped pages — for logs, queues and marts that have no create or update.

With an `owner` role (customer), callers holding it are admitted too but see only the rows whose
`Resource.owner_column` holds their subject: a filter naming someone else's rows gives an empty
page, as the CRUD kit's lists do.

No `from __future__ import annotations` here on purpose: FastAPI reads the endpoint signature
at runtime, and the per-resource types are filled into it.
"""

import inspect
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from shared.crud import Resource
from shared.crud_router import query_model, search_query
from shared.fast_reads import PageReads, resource_page
from shared.identity import Principal, Role
from shared.pagination import Page, PageDep, sort_query
from shared.problems import problem_responses
from shared.service import require_role


def add_list_route(
    router: APIRouter,
    *,
    resource: Resource,
    public: type[BaseModel],
    filters: type[BaseModel],
    role: Role,
    operation_id: str,
    summary: str,
    description: str,
    owner: Role | None = None,
) -> None:
    """Add `GET ""` to `router`: a page of `resource` rows as `public`, readable from `role` up
    and, limited to their own rows, by callers holding the `owner` role."""
    if owner is not None and resource.owner_column is None:
        raise ValueError(f"{resource.entity}: an owner role needs Resource.owner_column")
    owners = (owner,) if owner is not None else ()

    pages = PageReads()

    async def list_rows(
        request: Request,
        page: PageDep,
        caller: Annotated[Principal, Depends(require_role(role, *owners))],
        selected: Annotated[BaseModel, query_model(filters)],
        q: Annotated[str | None, search_query(resource)] = None,
        sort: Annotated[str, sort_query(resource.sort_keys)] = resource.default_sort,
    ) -> Any:
        rows_of = caller.sub if caller.role in owners else None
        query = (selected.model_dump(exclude_none=True), q, sort)
        rows, total = await resource_page(request, pages, resource, query, page, owner=rows_of)
        return {"data": rows, "count": total, "limit": page.limit, "offset": page.offset}

    if not resource.search_columns:  # no `q` to document for a resource nobody searches
        signature = inspect.signature(list_rows)
        kept = [p for name, p in signature.parameters.items() if name != "q"]
        list_rows.__signature__ = signature.replace(parameters=kept)  # type: ignore[attr-defined]
    list_rows.__doc__ = description
    router.add_api_route(
        "",
        list_rows,
        methods=["GET"],
        operation_id=operation_id,
        summary=summary,
        response_model=Page[public],  # type: ignore[valid-type]
        responses=problem_responses(401, 403, 422),
    )
