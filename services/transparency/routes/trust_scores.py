"""GET /api/transparency/trust/scores: the daily trust scores of every subject."""

from __future__ import annotations

from fastapi import APIRouter

from services.transparency.entities.trust_scores import (
    RESOURCE,
    TrustScoreFilters,
    TrustScorePublic,
)
from shared.identity import Role
from shared.list_route import add_list_route

router = APIRouter(prefix="/api/transparency/trust/scores", tags=["transparency-trust-scores"])

add_list_route(
    router,
    resource=RESOURCE,
    public=TrustScorePublic,
    filters=TrustScoreFilters,
    role=Role.VIEWER,
    operation_id="transparency_list_trust_scores",
    summary="Daily trust scores per distributor, stockist and carrier, newest day first",
    description=(
        "Rows of the trust score mart filtered by subject, badge, score_date range (`from`,"
        " `to`, both included) or whether a target was breached."
    ),
)
