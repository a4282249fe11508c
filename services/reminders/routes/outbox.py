"""GET /api/reminders/outbox: the reminders the pipeline queued and what became of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.reminders.entities.outbox import RESOURCE, OutboxFilters, OutboxMessagePublic
from shared.identity import Principal, Role
from shared.pagination import Page, PageDep, fetch_page, sort_query
from shared.problems import problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/reminders/outbox", tags=["reminders-outbox"])


async def outbox_filters(filters: Annotated[OutboxFilters, Query()]) -> OutboxFilters:
    """The filters (FastAPI reads a query model only as a dependency's sole parameter)."""
    return filters


@router.get(
    "",
    operation_id="reminders_list_outbox",
    summary="Queued and sent reminders, newest first",
    response_model=Page[OutboxMessagePublic],
    responses=problem_responses(401, 403, 422),
)
async def list_outbox(
    session: SessionDep,
    page: PageDep,
    _caller: Annotated[Principal, Depends(require_role(Role.VIEWER))],
    filters: Annotated[OutboxFilters, Depends(outbox_filters)],
    sort: Annotated[str, sort_query(RESOURCE.sort_keys)] = RESOURCE.default_sort,
) -> Page[OutboxMessagePublic]:
    """Outbox messages filtered by status, customer, channel or creation time."""
    statement = RESOURCE.query(filters.model_dump(exclude_none=True), None, sort)
    rows, total = await fetch_page(session, statement, page)
    return Page[OutboxMessagePublic](
        data=[OutboxMessagePublic.model_validate(row) for row in rows],
        count=total,
        limit=page.limit,
        offset=page.offset,
    )
