"""`loyalty.mart_loyalty_recommendations`: per customer, up to three ranked product ideas with
the offer, cadence, channel and next best action that go with them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, select

from services.loyalty.entities.fields import (
    Basis,
    Channel,
    CustomerId,
    DiscountTier,
    NextBestAction,
    ProductId,
    RecommendationStatus,
    Segment,
)
from services.loyalty.tables import mart_loyalty_recommendations
from shared.crud import Resource

RESOURCE = Resource(
    table=mart_loyalty_recommendations,
    entity="recommendation",
    key="customer_id",
    sort_keys=(
        "customer_id",
        "rank",
        "score",
        "product_id",
        "segment",
        "next_best_action",
        "status",
        "channel",
        "discount_percent",
        "reminder_cadence_days",
    ),
    default_sort="customer_id,rank",
    # A customer caller sees only the rows of its own customer id (the identity's subject).
    owner_column="customer_id",
)

EXAMPLE: dict[str, Any] = {
    "customer_id": "C0000042",
    "product_id": "P0007",
    "rank": 1,
    "segment": "loyal",
    "product_name": "Kenya AA beans",
    "score": "0.6667",
    "basis": "co_purchase",
    "anchor_product_id": "P0003",
    "reason": "Bought by 67% of loyal customers who bought Ethiopia Yirgacheffe beans",
    "discount_tier": "loyal_10",
    "discount_percent": 10,
    "reminder_cadence_days": 21,
    "channel": "email",
    "next_best_action": "cross_sell",
    "status": "new",
    "as_of_date": "2026-11-26",
    "refreshed_at": "2026-11-27T06:00:00Z",
}


class RecommendationPublic(BaseModel):
    """One product recommended to one customer, with its offer and how to reach them."""

    model_config = ConfigDict(json_schema_extra={"example": EXAMPLE})

    customer_id: str
    product_id: str
    rank: int = Field(description="1 = best; co-purchase candidates before popularity fallbacks.")
    segment: str = Field(description="The customer's RFM segment.")
    product_name: str
    score: Decimal = Field(
        description="0..1: co-purchase confidence, or the share of the segment who bought it."
    )
    basis: str = Field(description="co_purchase or segment_popularity (fallback).")
    anchor_product_id: str | None = Field(
        description="The bought product behind a co-purchase score; null for fallbacks."
    )
    reason: str
    discount_tier: str
    discount_percent: int
    reminder_cadence_days: int
    channel: str
    next_best_action: str
    status: str = Field(description="new, queued (in the notification outbox) or notified.")
    as_of_date: date = Field(description="The data date the row reflects.")
    refreshed_at: datetime


class RecommendationFilters(BaseModel):
    """Exact filters of the recommendation list, and a lowest score."""

    customer_id: CustomerId | None = None
    segment: Segment | None = None
    status: RecommendationStatus | None = None
    product_id: ProductId | None = None
    next_best_action: NextBestAction | None = None
    channel: Channel | None = None
    basis: Basis | None = None
    discount_tier: DiscountTier | None = None
    score_min: float | None = Field(
        default=None, ge=0, le=1, description="Lowest score (inclusive), 0..1."
    )


def customer_recommendations(customer_id: str) -> Select[Any]:
    """A customer's recommendations, best first."""
    table = mart_loyalty_recommendations
    return (
        select(table)
        .where(table.c.customer_id == customer_id)
        .order_by(table.c.rank, table.c.product_id)
    )
