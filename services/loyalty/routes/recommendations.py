"""GET /api/loyalty/recommendations: the recommendation mart's rows; a customer sees its own."""

from __future__ import annotations

from fastapi import APIRouter

from services.loyalty.entities.recommendations import (
    RESOURCE,
    RecommendationFilters,
    RecommendationPublic,
)
from shared.identity import Role
from shared.list_route import add_list_route

router = APIRouter(prefix="/api/loyalty/recommendations", tags=["loyalty-recommendations"])

add_list_route(
    router,
    resource=RESOURCE,
    public=RecommendationPublic,
    filters=RecommendationFilters,
    role=Role.VIEWER,
    owner=Role.CUSTOMER,
    operation_id="loyalty_list_recommendations",
    summary="Ranked product recommendations per customer, with offer, channel and action",
    description=(
        "Rows of the recommendation mart filtered by customer, segment, status, product, next"
        " best action, channel, basis, discount tier or a lowest score; sorted by customer and"
        " rank unless `sort` says otherwise. Viewers and above read every customer's rows; a"
        " customer reads only its own, so a `customer_id` filter naming anyone else gives an"
        " empty page."
    ),
)
