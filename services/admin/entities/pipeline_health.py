"""The pipeline's health and latest KPI snapshot as the dashboard shows them, read from the
`ops.api_*` views (services/admin/entities/pipeline.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.entities import pipeline as views
from services.admin.entities.pipeline import PipelineHealth


async def pipeline_health(session: AsyncSession) -> PipelineHealth:
    """The last run's status and end, open rejects, quarantined files and the stalest mart."""
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


async def latest_kpi_snapshot(session: AsyncSession) -> dict[str, Any] | None:
    """The newest KPI snapshot the pipeline captured, or None before the first."""
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
    return dict(snapshot) if snapshot is not None else None
