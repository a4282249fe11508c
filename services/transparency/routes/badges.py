"""GET /api/transparency/badges: what each badge means, and every subject's current badge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.transparency.entities.badges import (
    BADGE_CRITERIA,
    BADGE_SORT_KEYS,
    DEFAULT_BADGE_SORT,
    BadgeFilters,
    SubjectBadgePublic,
    SubjectBadgesPage,
    badges_statement,
)
from shared.identity import Principal, Role
from shared.list_query import query_model
from shared.pagination import PageDep, fetch_page, sort_query
from shared.problems import problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/transparency/badges", tags=["transparency-badges"])


@router.get(
    "",
    operation_id="transparency_list_badges",
    summary="Badge criteria, and each subject's current badge",
    response_model=SubjectBadgesPage,
    responses=problem_responses(401, 403, 422),
)
async def list_badges(
    session: SessionDep,
    page: PageDep,
    _caller: Annotated[Principal, Depends(require_role(Role.VIEWER))],
    filters: Annotated[BadgeFilters, query_model(BadgeFilters)],
    sort: Annotated[str, sort_query(BADGE_SORT_KEYS)] = DEFAULT_BADGE_SORT,
) -> SubjectBadgesPage:
    """The criteria, then a page of subjects with the badge of their latest rated day."""
    rows, total = await fetch_page(session, badges_statement(filters, sort), page)
    return SubjectBadgesPage(
        criteria=list(BADGE_CRITERIA),
        data=[SubjectBadgePublic.model_validate(row) for row in rows],
        count=total,
        limit=page.limit,
        offset=page.offset,
    )
