"""GET /api/admin/reports/latest (and /latest/pdf): the newest business report in the lake.

`ecom report` and the weekly-report flow write reports under the lake's `reports/` and name
the newest in `reports/latest.json` (shared/latest_report.py); these routes read that record
and stream its PDF, for any staff role (the console's dashboard links it)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import StreamingResponse

from shared.exports import FILE_CHUNK_BYTES, binary_media_type, file_responses
from shared.identity import Principal, Role
from shared.latest_report import LatestReport, LatestReportUnreadable, read_latest_report
from shared.objectstore import ObjectStore
from shared.problems import ProblemError, problem_responses
from shared.service import require_role

router = APIRouter(prefix="/api/admin/reports", tags=["admin-reports"])
PDF_MEDIA_TYPE = "application/pdf"
PDF_PATH = "/api/admin/reports/latest/pdf"
StaffDep = Annotated[Principal, Depends(require_role(Role.VIEWER))]


class LatestReportPublic(BaseModel):
    """The newest business report: its period, when it was made and where to download it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "period_from": "2026-11-13",
                "period_to": "2026-11-19",
                "generated_at": "2026-11-20T07:00:00Z",
                "pdf_key": "reports/2026-11-13_2026-11-19/report.pdf",
                "pdf_url": PDF_PATH,
                "filename": "report_2026-11-13_2026-11-19.pdf",
            }
        }
    )

    period_from: date = Field(description="First day of the report (UTC), included.")
    period_to: date = Field(description="Last day of the report (UTC), included.")
    generated_at: datetime
    pdf_key: str = Field(description="The PDF's key in the lake.")
    pdf_url: str = Field(description="Where the API serves the PDF (this gateway's path).")
    filename: str = Field(description="The name the PDF is downloaded under.")


def lake_of(request: Request) -> ObjectStore:
    """The admin service's view of the lake, opened on first use (building the app touches
    no storage) and kept with the app."""
    lake: ObjectStore | None = getattr(request.app.state, "lake", None)
    if lake is None:
        lake = ObjectStore.from_settings(request.app.state.settings)
        request.app.state.lake = lake
    return lake


def _public(latest: LatestReport) -> LatestReportPublic:
    first, last = latest.period.first, latest.period.last
    return LatestReportPublic(
        period_from=first,
        period_to=last,
        generated_at=latest.generated_at,
        pdf_key=latest.pdf,
        pdf_url=PDF_PATH,
        filename=f"report_{first.isoformat()}_{last.isoformat()}.pdf",
    )


async def _latest(lake: ObjectStore) -> LatestReport:
    """The latest report's record; a 404 problem when there is none (or its PDF is gone)."""
    try:
        latest = await asyncio.to_thread(read_latest_report, lake)
    except LatestReportUnreadable as error:
        raise ProblemError(503, f"The latest report's record is unreadable ({error}).") from None
    if latest is None:
        raise ProblemError(404, "No business report yet: run `ecom report`.")
    if not await asyncio.to_thread(lake.exists, latest.pdf):
        raise ProblemError(404, f"The latest report's PDF ({latest.pdf}) is missing.")
    return latest


@router.get(
    "/latest",
    operation_id="admin_get_latest_report",
    summary="The newest business report's period and download path",
    response_model=LatestReportPublic,
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def get_latest_report(request: Request, _caller: StaffDep) -> LatestReportPublic:
    """What `reports/latest.json` names; 404 before the first `ecom report`."""
    return _public(await _latest(lake_of(request)))


def _chunks(lake: ObjectStore, key: str) -> Iterator[bytes]:
    """The object in chunks (Starlette iterates it in a worker thread)."""
    with lake.open_read(key) as handle:
        while chunk := handle.read(FILE_CHUNK_BYTES):
            yield chunk


@router.get(
    "/latest/pdf",
    operation_id="admin_get_latest_report_pdf",
    summary="The newest business report as PDF (streamed)",
    response_class=StreamingResponse,
    responses={**file_responses(PDF_MEDIA_TYPE), **problem_responses(401, 403, 404, 422, 503)},
)
async def download_latest_report(request: Request, _caller: StaffDep) -> StreamingResponse:
    """The PDF that `reports/latest.json` names; 404 before the first `ecom report`."""
    lake = lake_of(request)
    latest = _public(await _latest(lake))
    return StreamingResponse(
        _chunks(lake, latest.pdf_key),
        media_type=binary_media_type(request.headers.get("accept"), PDF_MEDIA_TYPE),
        headers={"Content-Disposition": f'inline; filename="{latest.filename}"'},
    )
