"""GET /api/admin/kpis/dashboard: every number of the console's dashboard in one request —
revenue and orders of the day and of the last 7 days against the 7 before, average order
value, a 14-day trend, the latest pipeline KPI snapshot and the pipeline's health.

Read from `admin.mart_daily_revenue` and the `ops.api_*` views. Trust and on-time numbers
belong to the transparency service (GET /api/transparency/metrics)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from services.admin.entities import pipeline as views
from services.admin.entities.pipeline import (
    DashboardPublic,
    KpiTile,
    PipelineHealth,
    RevenueDay,
)
from services.admin.models import MartDailyRevenue
from shared.fields import IsoDate
from shared.identity import Principal, Role
from shared.problems import problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/admin/kpis", tags=["admin-kpis"])
_mart = MartDailyRevenue.__table__.c  # type: ignore[attr-defined]
TREND_DAYS = 14


async def _totals(session: SessionDep, first: date, last: date) -> tuple[Decimal, int]:
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(_mart.net_revenue), 0),
                func.coalesce(func.sum(_mart.orders), 0),
            ).where(_mart.order_date >= first, _mart.order_date <= last)
        )
    ).one()
    return Decimal(row[0]), int(row[1])


def _aov(revenue: Decimal, orders: int) -> Decimal | None:
    return round(revenue / orders, 2) if orders else None


async def _pipeline_health(session: SessionDep) -> PipelineHealth:
    runs = views.pipeline_runs.c
    last = (
        await session.execute(
            select(runs.status, runs.finished_at).order_by(runs.started_at.desc()).limit(1)
        )
    ).one_or_none()
    rejects = views.rejects.c
    quarantine = views.quarantined_files.c
    builds = views.mart_builds.c
    stalest = (
        await session.execute(
            select(builds.mart, builds.age_seconds).order_by(builds.built_at).limit(1)
        )
    ).one_or_none()
    return PipelineHealth(
        last_run_status=last[0] if last else None,
        last_run_finished_at=last[1] if last else None,
        open_rejects=await session.scalar(select(func.count()).where(rejects.resolved_at.is_(None)))
        or 0,
        quarantined_files=await session.scalar(
            select(func.count()).where(quarantine.status == "quarantined")
        )
        or 0,
        stalest_mart=stalest[0] if stalest else None,
        stalest_mart_age_seconds=stalest[1] if stalest else None,
    )


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
    today = day or await session.scalar(select(func.max(_mart.order_date)))
    currency = await session.scalar(select(func.min(_mart.currency)))
    health = await _pipeline_health(session)
    snapshots = views.kpi_snapshots.c
    snapshot = (
        (
            await session.execute(
                select(views.kpi_snapshots).order_by(snapshots.captured_at.desc()).limit(1)
            )
        )
        .mappings()
        .one_or_none()
    )
    latest: dict[str, Any] | None = dict(snapshot) if snapshot is not None else None
    if today is None:
        empty = KpiTile(value=Decimal(0), previous=Decimal(0))
        return DashboardPublic(
            day=None, currency=currency, revenue_today=Decimal(0), orders_today=0,
            revenue_7d=empty, orders_7d=empty,
            average_order_value_7d=KpiTile(value=None, previous=None),
            revenue_trend=[], kpi_snapshot=latest, pipeline=health,
        )  # fmt: skip
    revenue_today, orders_today = await _totals(session, today, today)
    revenue, orders = await _totals(session, today - timedelta(days=6), today)
    before, orders_before = await _totals(
        session, today - timedelta(days=13), today - timedelta(days=7)
    )
    trend = await session.execute(
        select(
            _mart.order_date,
            func.sum(_mart.orders),
            func.sum(_mart.net_revenue),
        )
        .where(_mart.order_date > today - timedelta(days=TREND_DAYS), _mart.order_date <= today)
        .group_by(_mart.order_date)
        .order_by(_mart.order_date)
    )
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
            RevenueDay(day=row[0], orders=int(row[1]), net_revenue=Decimal(row[2])) for row in trend
        ],
        kpi_snapshot=latest,
        pipeline=health,
    )
