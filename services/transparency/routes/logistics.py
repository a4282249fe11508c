"""GET /api/transparency/logistics/snapshots: the 30-day SLA view of distributors and stockists."""

from __future__ import annotations

from fastapi import APIRouter

from services.transparency.entities.logistics import (
    RESOURCE,
    LogisticsFilters,
    LogisticsSnapshotPublic,
)
from shared.identity import Role
from shared.list_route import add_list_route

router = APIRouter(prefix="/api/transparency/logistics/snapshots", tags=["transparency-logistics"])

add_list_route(
    router,
    resource=RESOURCE,
    public=LogisticsSnapshotPublic,
    filters=LogisticsFilters,
    role=Role.VIEWER,
    operation_id="transparency_list_logistics_snapshots",
    summary="Coverage, SLA breaches, penalties and inventory cover per distributor and stockist",
    description=(
        "Rows of the logistics SLA mart filtered by subject type, region, distributor or"
        " whether a stock alert is raised; `q` searches ids and names."
    ),
)
