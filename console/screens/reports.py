"""The latest business report (`ecom report`, the weekly-report flow): what the dashboard says
about it, and its PDF passed through to the browser (outside the nav).

The browser cannot call /api itself (the credential is an HttpOnly cookie), so the console
fetches the PDF from GET /api/admin/reports/latest/pdf as the signed-in user and sends it on."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from starlette.responses import Response

from console.api import Api, ApiError
from console.pages import CallerDep

router = APIRouter()
SCREEN = None
LATEST = "/api/admin/reports/latest"
PDF_PATH = "/reports/latest.pdf"


@dataclass(frozen=True)
class LatestReportLink:
    """The dashboard's line about the latest report: its period, or why there is none."""

    period: str | None = None  # "2026-11-13 to 2026-11-19"; None: no report (or unreadable)
    error: str | None = None  # the API's message when it could not say
    href: str = PDF_PATH


async def latest_report(api: Api) -> LatestReportLink:
    """The latest report's period; no period when none was written yet (the API's 404)."""
    try:
        latest = await api.get(LATEST)
    except ApiError as error:
        if error.status == 401:
            raise
        return LatestReportLink(error=None if error.status == 404 else error.message)
    return LatestReportLink(period=f"{latest['period_from']} to {latest['period_to']}")


@router.get(PDF_PATH)
async def latest_report_pdf(caller: CallerDep) -> Response:
    """The latest report's PDF as the API serves it to this user (an error page otherwise)."""
    upstream = await caller.api.request(
        "GET", f"{LATEST}/pdf", headers={"Accept": "application/pdf"}
    )
    disposition = upstream.headers.get("content-disposition", "inline")
    return Response(
        upstream.content,
        media_type="application/pdf",
        headers={"Content-Disposition": disposition},
    )
