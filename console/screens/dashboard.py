"""Dashboard: the business's headline numbers (GET /api/admin/kpis/dashboard and
GET /api/trust/metrics) as tiles and SVG charts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from console.pages import CallerDep, render
from console.screens import Screen

router = APIRouter()
SCREEN = Screen(path="/", label="Dashboard", order=10)


@router.get("/")
async def dashboard(request: Request, caller: CallerDep) -> Response:
    """Tiles and charts from the API, as the signed-in user sees them."""
    dashboard = await caller.api.get("/api/admin/kpis/dashboard")
    return render(request, "dashboard/index.html", {"dashboard": dashboard})
