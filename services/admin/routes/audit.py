"""GET /api/admin/audit: the audit log of back-office writes (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.admin.entities.audit import RESOURCE, AuditEntryPublic, AuditFilters
from shared.identity import Principal, Role
from shared.pagination import Page, PageDep, fetch_page, sort_query
from shared.problems import problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/admin/audit", tags=["admin-audit"])


async def audit_filters(filters: Annotated[AuditFilters, Query()]) -> AuditFilters:
    """The filters (FastAPI reads a query model only as a dependency's sole parameter)."""
    return filters


@router.get(
    "",
    operation_id="admin_list_audit_entries",
    summary="Who changed what and when, newest first",
    response_model=Page[AuditEntryPublic],
    responses=problem_responses(401, 403, 422),
)
async def list_audit_entries(
    session: SessionDep,
    page: PageDep,
    _caller: Annotated[Principal, Depends(require_role(Role.ADMIN))],
    filters: Annotated[AuditFilters, Depends(audit_filters)],
    sort: Annotated[str, sort_query(RESOURCE.sort_keys)] = RESOURCE.default_sort,
) -> Page[AuditEntryPublic]:
    """Entries of the audit log, filtered by entity, key, actor, action or time."""
    statement = RESOURCE.query(filters.model_dump(exclude_none=True), None, sort)
    rows, total = await fetch_page(session, statement, page)
    return Page[AuditEntryPublic](
        data=[AuditEntryPublic.model_validate(row) for row in rows],
        count=total,
        limit=page.limit,
        offset=page.offset,
    )
