"""Revenue KPIs over `admin.mart_daily_revenue`: the daily rows, and totals over a range."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Select

from services.admin.entities.revenue import (
    SORT_KEYS,
    RevenueSlice,
    daily_revenue_rows,
    kpi_summary,
)
from services.admin.models import DailyRevenuePublic, KpiSummaryPublic
from shared.fast_reads import PageReads, read_page
from shared.fields import IsoDate
from shared.identity import Principal, Role
from shared.pagination import Page, PageDep, order_by_clause, page_body, sort_query
from shared.problems import problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/admin/kpis", tags=["admin-kpis"])


async def revenue_slice(
    date_from: Annotated[
        IsoDate | None, Query(alias="from", description="First day (UTC).")
    ] = None,
    date_to: Annotated[IsoDate | None, Query(alias="to", description="Last day (UTC).")] = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    region: Annotated[str | None, Query(max_length=40)] = None,
) -> RevenueSlice:
    """The `from`, `to`, `channel` and `region` query parameters."""
    return RevenueSlice(date_from, date_to, channel, region)


SliceDep = Annotated[RevenueSlice, Depends(revenue_slice)]
_revenue_pages = PageReads()


@router.get(
    "/daily-revenue",
    operation_id="admin_list_daily_revenue",
    summary="Revenue per day, channel and region",
    response_model=Page[DailyRevenuePublic],
    responses=problem_responses(401, 403, 422),
)
async def list_daily_revenue(
    request: Request,
    page: PageDep,
    _caller: Annotated[Principal, Depends(require_role(Role.VIEWER))],
    rows_of: SliceDep,
    sort: Annotated[str, sort_query(list(SORT_KEYS))] = "-order_date,channel,region",
) -> Any:
    """Rows of the daily revenue mart, newest day first by default (`from` after `to`: none)."""
    values = rows_of.values()

    def build() -> Select[Any]:
        return daily_revenue_rows(rows_of).order_by(*order_by_clause(sort, SORT_KEYS))

    rows, total = await read_page(request, _revenue_pages, (*values, sort), build, values, page)
    return page_body(rows, total, page)


@router.get(
    "/summary",
    operation_id="admin_get_kpi_summary",
    summary="Totals over a range of days: orders, cancellations, revenue, average order",
    response_model=KpiSummaryPublic,
    responses=problem_responses(401, 403, 422),
)
async def get_kpi_summary(
    session: SessionDep,
    _caller: Annotated[Principal, Depends(require_role(Role.VIEWER))],
    rows_of: SliceDep,
) -> KpiSummaryPublic:
    """Totals of the daily revenue mart over the slice; zeros when it holds no rows."""
    return await kpi_summary(session, rows_of)
