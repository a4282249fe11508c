"""/api/trust/metrics: the headline trust numbers, as JSON or as a CSV export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from services.transparency.entities.metrics import (
    EXPORT_FILENAME,
    EXPORT_ROW_CAP,
    TrustMetricPublic,
    TrustMetricsPublic,
    export_statement,
    metrics_statement,
)
from shared.exports import CSV_MEDIA_TYPE, csv_export, file_responses
from shared.http_methods import is_head_request
from shared.identity import Principal, Role
from shared.problems import problem_responses
from shared.service import EngineDep, SessionDep, require_role

router = APIRouter(prefix="/api/trust/metrics", tags=["transparency-trust-metrics"])


@router.get(
    "",
    operation_id="transparency_get_trust_metrics",
    summary="Every headline trust metric with its target, and the data date",
    response_model=TrustMetricsPublic,
    responses=problem_responses(401, 403),
)
async def get_trust_metrics(
    session: SessionDep,
    _caller: Annotated[Principal, Depends(require_role(Role.VIEWER))],
) -> TrustMetricsPublic:
    """All rows of the trust metrics mart by metric name; empty before its first build."""
    rows = (await session.execute(metrics_statement())).mappings().all()
    metrics = [TrustMetricPublic.model_validate(row) for row in rows]
    dates = {metric.as_of_date for metric in metrics if metric.as_of_date is not None}
    # One build writes every row with the same data date; the newest wins should that change.
    return TrustMetricsPublic(as_of_date=max(dates, default=None), data=metrics)


@router.get(
    "/export",
    operation_id="transparency_export_trust_metrics",
    summary="The trust metrics as CSV (streamed), for editors and admins",
    response_class=Response,
    responses={**file_responses(CSV_MEDIA_TYPE), **problem_responses(401, 403)},
)
async def export_trust_metrics(
    engine: EngineDep,
    request: Request,
    _caller: Annotated[Principal, Depends(require_role(Role.EDITOR))],
) -> Response:
    """Every metric row as CSV with a header, formula-like text made inert."""
    return await csv_export(
        engine,
        export_statement(),
        filename=EXPORT_FILENAME,
        row_cap=EXPORT_ROW_CAP,
        head=is_head_request(request.scope),
    )
