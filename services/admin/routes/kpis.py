"""Revenue KPIs over `admin.mart_daily_revenue`: the daily rows, and totals over a range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.models import DailyRevenuePublic, KpiSummaryPublic, MartDailyRevenue
from shared.fast_reads import PageReads, read_page
from shared.fields import IsoDate
from shared.identity import Principal, Role
from shared.pagination import Page, PageDep, order_by_clause, sort_query
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


@dataclass(frozen=True)
class RevenueSlice:
    """Which mart rows a KPI request covers."""

    date_from: date | None
    date_to: date | None
    channel: str | None
    region: str | None

    def where(self, statement: Select[Any]) -> Select[Any]:
        """`statement` restricted to the slice (`from` after `to` selects nothing)."""
        day, channel, region = _table.order_date, _table.channel, _table.region
        if self.date_from:
            statement = statement.where(day >= _bind("date_from", self.date_from, day))
        if self.date_to:
            statement = statement.where(day <= _bind("date_to", self.date_to, day))
        if self.channel:
            statement = statement.where(channel == _bind("channel", self.channel, channel))
        if self.region:
            statement = statement.where(region == _bind("region", self.region, region))
        return statement

    def values(self) -> dict[str, Any]:
        """The slice's bind values by name: which are present is the shape of its query."""
        fields = ("date_from", "date_to", "channel", "region")
        return {name: getattr(self, name) for name in fields if getattr(self, name)}


def _bind(name: str, value: Any, column: ColumnElement[Any]) -> BindParameter[Any]:
    """A named bind: slices differing only in values compile to the same SQL."""
    return bindparam(name, value, type_=column.type)


def daily_revenue_rows(rows_of: RevenueSlice) -> Select[Any]:
    """The daily revenue mart's rows in the slice (GET /api/admin/kpis/daily-revenue and the
    business report's revenue by day and channel)."""
    return rows_of.where(select(MartDailyRevenue.__table__))  # type: ignore[attr-defined]


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
    # A dict: `response_model` validates and serialises it once; building the models here
    # too would do that work twice per row.
    return {"data": rows, "count": total, "limit": page.limit, "offset": page.offset}


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


async def kpi_summary(session: AsyncSession, rows_of: RevenueSlice) -> KpiSummaryPublic:
    """Totals of the daily revenue mart over the slice; zeros when it holds no rows (the one
    query behind GET /api/admin/kpis/summary and the business report's headline KPIs)."""
    orders = func.coalesce(func.sum(_table.orders), 0)
    revenue = func.coalesce(func.sum(_table.net_revenue), 0)
    statement = rows_of.where(
        select(
            func.min(_table.order_date).label("first_day"),
            func.max(_table.order_date).label("last_day"),
            func.count(func.distinct(_table.order_date)).label("days"),
            orders.label("orders"),
            func.coalesce(func.sum(_table.cancelled_orders), 0).label("cancelled_orders"),
            func.coalesce(func.sum(_table.returned_orders), 0).label("returned_orders"),
            func.coalesce(func.sum(_table.units), 0).label("units"),
            revenue.label("net_revenue"),
            func.round(revenue / func.nullif(orders, 0), 2).label("average_order_value"),
            func.min(_table.currency).label("currency"),
        )
    )
    row = (await session.execute(statement)).mappings().one()
    return KpiSummaryPublic.model_validate(row)
