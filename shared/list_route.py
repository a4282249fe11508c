"""A read-only list route built from a `Resource`: typed filters, optional text search,
allow-listed sort and capped pages — for logs, queues and marts that have no create or update.

With an `owner` role (customer), callers holding it are admitted too but see only the rows whose
`Resource.owner_column` holds their subject: a filter naming someone else's rows gives an empty
page, as the CRUD kit's lists do.

No `from __future__ import annotations` here on purpose: FastAPI reads the endpoint signature
at runtime, and the resource's query reader is named in it when it is defined.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from shared.crud import Resource
from shared.fast_reads import PageReads
from shared.identity import Principal, Role
from shared.list_query import PagedListQuery, list_page, paged_list_query, rows_owner
from shared.pagination import Page
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
    admitted = (owner,) if owner is not None else ()
    pages = PageReads()

    async def list_rows(
        request: Request,
        caller: Annotated[Principal, Depends(require_role(role, *admitted))],
        selected: Annotated[PagedListQuery, Depends(paged_list_query(resource, filters))],
    ) -> Any:
        return await list_page(request, pages, resource, selected, rows_owner(caller, owner))

    router.add_api_route(
        "",
        list_rows,
        methods=["GET"],
        operation_id=operation_id,
        summary=summary,
        description=description,
        response_model=Page[public],  # type: ignore[valid-type]
        responses=problem_responses(401, 403, 422),
    )
