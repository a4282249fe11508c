"""Revenue KPIs over `admin.mart_daily_revenue`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import ColumnElement, select

from services.admin.models import DailyRevenuePublic, MartDailyRevenue
from shared.identity import Principal, Role
from shared.pagination import Page, PageDep, fetch_page, order_by_clause, sort_query
from shared.problems import problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/admin/kpis", tags=["admin-kpis"])

_table = MartDailyRevenue.__table__.c  # type: ignore[attr-defined]
SORT_KEYS: dict[str, ColumnElement[Any]] = {
    "order_date": _table.order_date,
    "channel": _table.channel,
    "region": _table.region,
    "orders": _table.orders,
    "net_revenue": _table.net_revenue,
}


@router.get(
    "/daily-revenue",
    operation_id="admin_list_daily_revenue",
    summary="Revenue per day, channel and region",
    response_model=Page[DailyRevenuePublic],
    responses=problem_responses(401, 403, 422),
)
async def list_daily_revenue(
    session: SessionDep,
    page: PageDep,
    _caller: Annotated[Principal, Depends(require_role(Role.VIEWER))],
    date_from: Annotated[date | None, Query(alias="from", description="First day (UTC).")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Last day (UTC).")] = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    region: Annotated[str | None, Query(max_length=40)] = None,
    sort: Annotated[str, sort_query(list(SORT_KEYS))] = "-order_date,channel,region",
) -> Page[DailyRevenuePublic]:
    """Rows of the daily revenue mart, newest day first by default (`from` after `to`: none)."""
    statement = select(MartDailyRevenue.__table__)  # type: ignore[attr-defined]
    if date_from:
        statement = statement.where(_table.order_date >= date_from)
    if date_to:
        statement = statement.where(_table.order_date <= date_to)
    if channel:
        statement = statement.where(_table.channel == channel)
    if region:
        statement = statement.where(_table.region == region)
    statement = statement.order_by(*order_by_clause(sort, SORT_KEYS))
    rows, total = await fetch_page(session, statement, page)
    return Page[DailyRevenuePublic](
        data=[DailyRevenuePublic.model_validate(row) for row in rows],
        count=total,
        limit=page.limit,
        offset=page.offset,
    )
