"""`admin.mart_daily_revenue`: the queries over the revenue mart, wherever they are asked
(GET /api/admin/kpis/daily-revenue, /summary and /dashboard, and the business report)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.models import KpiSummaryPublic
from services.admin.tables import mart_daily_revenue

_mart = mart_daily_revenue.c
SORT_KEYS: dict[str, ColumnElement[Any]] = {
    "order_date": _mart.order_date,
    "channel": _mart.channel,
    "region": _mart.region,
    "orders": _mart.orders,
    "net_revenue": _mart.net_revenue,
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
        day, channel, region = _mart.order_date, _mart.channel, _mart.region
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
    return rows_of.where(select(mart_daily_revenue))


async def kpi_summary(session: AsyncSession, rows_of: RevenueSlice) -> KpiSummaryPublic:
    """Totals of the daily revenue mart over the slice; zeros when it holds no rows (the one
    query behind GET /api/admin/kpis/summary and the business report's headline KPIs)."""
    orders = func.coalesce(func.sum(_mart.orders), 0)
    revenue = func.coalesce(func.sum(_mart.net_revenue), 0)
    statement = rows_of.where(
        select(
            func.min(_mart.order_date).label("first_day"),
            func.max(_mart.order_date).label("last_day"),
            func.count(func.distinct(_mart.order_date)).label("days"),
            orders.label("orders"),
            func.coalesce(func.sum(_mart.cancelled_orders), 0).label("cancelled_orders"),
            func.coalesce(func.sum(_mart.returned_orders), 0).label("returned_orders"),
            func.coalesce(func.sum(_mart.units), 0).label("units"),
            revenue.label("net_revenue"),
            func.round(revenue / func.nullif(orders, 0), 2).label("average_order_value"),
            func.min(_mart.currency).label("currency"),
        )
    )
    row = (await session.execute(statement)).mappings().one()
    return KpiSummaryPublic.model_validate(row)


async def newest_order_day(session: AsyncSession) -> date | None:
    """The newest order date in the revenue mart (None when it is empty)."""
    newest: date | None = await session.scalar(select(func.max(_mart.order_date)))
    return newest


async def mart_currency(session: AsyncSession) -> str | None:
    """The mart's base currency (None when it is empty)."""
    currency: str | None = await session.scalar(select(func.min(_mart.currency)))
    return currency


async def revenue_and_orders(session: AsyncSession, first: date, last: date) -> tuple[Decimal, int]:
    """Net revenue and orders from day `first` to day `last`, both included (zeros: no rows)."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(_mart.net_revenue), 0),
                func.coalesce(func.sum(_mart.orders), 0),
            ).where(_mart.order_date >= first, _mart.order_date <= last)
        )
    ).one()
    return Decimal(row[0]), int(row[1])


async def daily_trend(
    session: AsyncSession, last: date, days: int
) -> list[tuple[date, int, Decimal]]:
    """(day, orders, net revenue) of each day with rows among the `days` days ending on `last`."""
    rows = await session.execute(
        select(_mart.order_date, func.sum(_mart.orders), func.sum(_mart.net_revenue))
        .where(_mart.order_date > last - timedelta(days=days), _mart.order_date <= last)
        .group_by(_mart.order_date)
        .order_by(_mart.order_date)
    )
    return [(row[0], int(row[1]), Decimal(row[2])) for row in rows]
