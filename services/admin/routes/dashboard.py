"""GET /api/admin/kpis/dashboard: every number of the console's dashboard in one request —
revenue and orders of the day and of the last 7 days against the 7 before, average order
value, a 14-day trend, the latest pipeline KPI snapshot and the pipeline's health.

Read from `admin.mart_daily_revenue` and the `ops.api_*` views. Trust and on-time numbers
belong to the transparency service (GET /api/transparency/metrics)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.admin.entities.pipeline import DashboardPublic, KpiTile, RevenueDay
from services.admin.entities.pipeline_health import latest_kpi_snapshot, pipeline_health
from services.admin.entities.revenue import (
    daily_trend,
    mart_currency,
    newest_order_day,
    revenue_and_orders,
)
from shared.fields import IsoDate
from shared.identity import Principal, Role
from shared.problems import problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/admin/kpis", tags=["admin-kpis"])
TREND_DAYS = 14


def _aov(revenue: Decimal, orders: int) -> Decimal | None:
    return round(revenue / orders, 2) if orders else None


@router.get(
    "/dashboard",
    operation_id="admin_get_dashboard",
    summary="Every number of the console's dashboard in one response",
    response_model=DashboardPublic,
    responses=problem_responses(401, 403, 422),
)
async def get_dashboard(
    session: SessionDep,
    _caller: Annotated[Principal, Depends(require_role(Role.VIEWER))],
    day: Annotated[
        IsoDate | None,
        Query(description="The dashboard's 'today' (UTC); default: the newest day with data."),
    ] = None,
) -> DashboardPublic:
    """Revenue, orders and average order value (7 days against the 7 before), a 14-day trend,
    the latest KPI snapshot and the pipeline's health; zeros when the mart is empty."""
    today = day or await newest_order_day(session)
    currency = await mart_currency(session)
    health = await pipeline_health(session)
    latest = await latest_kpi_snapshot(session)
    if today is None:
        empty = KpiTile(value=Decimal(0), previous=Decimal(0))
        return DashboardPublic(
            day=None, currency=currency, revenue_today=Decimal(0), orders_today=0,
            revenue_7d=empty, orders_7d=empty,
            average_order_value_7d=KpiTile(value=None, previous=None),
            revenue_trend=[], kpi_snapshot=latest, pipeline=health,
        )  # fmt: skip
    revenue_today, orders_today = await revenue_and_orders(session, today, today)
    revenue, orders = await revenue_and_orders(session, today - timedelta(days=6), today)
    before, orders_before = await revenue_and_orders(
        session, today - timedelta(days=13), today - timedelta(days=7)
    )
    trend = await daily_trend(session, today, TREND_DAYS)
    return DashboardPublic(
        day=today,
        currency=currency,
        revenue_today=revenue_today,
        orders_today=orders_today,
        revenue_7d=KpiTile(value=revenue, previous=before),
        orders_7d=KpiTile(value=Decimal(orders), previous=Decimal(orders_before)),
        average_order_value_7d=KpiTile(
            value=_aov(revenue, orders), previous=_aov(before, orders_before)
        ),
        revenue_trend=[
            RevenueDay(day=trend_day, orders=count, net_revenue=amount)
            for trend_day, count, amount in trend
        ],
        kpi_snapshot=latest,
        pipeline=health,
    )
