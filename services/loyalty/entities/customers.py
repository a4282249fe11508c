"""`loyalty.mart_customer_summary`: one customer's RFM scores, segment, tier and rhythm, served
with the customer's ranked recommendations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, select

from services.loyalty.entities.fields import CustomerId, Monetary, Segment, Tier
from services.loyalty.entities.recommendations import EXAMPLE as RECOMMENDATION_EXAMPLE
from services.loyalty.entities.recommendations import RecommendationPublic
from services.loyalty.tables import mart_customer_summary
from shared.crud import Resource

RESOURCE = Resource(
    table=mart_customer_summary,
    entity="customer summary",
    key="customer_id",
    sort_keys=(
        "customer_id",
        "monetary",
        "frequency",
        "recency_days",
        "rfm_score",
        "segment",
        "tier",
        "last_order_at",
        "expected_next_order_date",
    ),
    default_sort="customer_id",
    # A customer caller sees only its own summary row.
    owner_column="customer_id",
)

SUMMARY_EXAMPLE: dict[str, Any] = {
    "customer_id": "C0000042",
    "first_order_at": "2026-06-02T09:14:00Z",
    "last_order_at": "2026-11-20T18:02:00Z",
    "frequency": 6,
    "monetary": "412.50",
    "average_order_value": "68.75",
    "recency_days": 6,
    "recency_score": 5,
    "frequency_score": 4,
    "monetary_score": 4,
    "rfm_score": "544",
    "segment": "champions",
    "lifetime_value": "412.50",
    "tier": "silver",
    "favourite_category": "beans",
    "products_bought": ["P0003", "P0011"],
    "repurchase_interval_days": "21.4",
    "expected_next_order_date": "2026-12-11",
    "currency": "USD",
    "as_of_date": "2026-11-26",
    "refreshed_at": "2026-11-27T06:00:00Z",
}


class CustomerSummaryPublic(BaseModel):
    """A customer's summary row: RFM scores, segment, tier and rhythm (docs/loyalty_scoring.md)."""

    model_config = ConfigDict(json_schema_extra={"example": SUMMARY_EXAMPLE})

    customer_id: str
    first_order_at: datetime | None = Field(description="First kept order; null without one.")
    last_order_at: datetime | None = Field(description="Last kept order; null without one.")
    frequency: int = Field(description="Kept orders (neither cancelled nor returned).")
    monetary: Decimal = Field(description="Sum of the kept orders' totals, base currency.")
    average_order_value: Decimal | None
    recency_days: int | None = Field(description="Days from the last kept order to as_of_date.")
    recency_score: int
    frequency_score: int
    monetary_score: int
    rfm_score: str = Field(description="The three scores as digits, e.g. 544.")
    segment: str
    lifetime_value: Decimal = Field(description="Realised net revenue to date (= monetary).")
    tier: str = Field(description="bronze, silver, gold or platinum by lifetime_value.")
    favourite_category: str | None
    products_bought: list[str] = Field(description="Distinct products of kept orders, sorted.")
    repurchase_interval_days: Decimal | None = Field(
        description="Median days between kept orders; null under two."
    )
    expected_next_order_date: date | None
    currency: str = Field(description="The base currency of every amount.")
    as_of_date: date = Field(description="The data date the row reflects.")
    refreshed_at: datetime


class CustomerLoyaltyPublic(CustomerSummaryPublic):
    """A customer's summary row (docs/loyalty_scoring.md) and recommendations, best first."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {**SUMMARY_EXAMPLE, "recommendations": [RECOMMENDATION_EXAMPLE]}
        }
    )

    recommendations: list[RecommendationPublic] = Field(
        description="The customer's recommendations by rank; empty when there are none."
    )


class CustomerSummaryFilters(BaseModel):
    """Exact filters of the customer summary list, and a lowest monetary value."""

    customer_id: CustomerId | None = None
    segment: Segment | None = None
    tier: Tier | None = None
    monetary_min: Monetary | None = Field(
        default=None, description="Lowest monetary value (inclusive), base currency."
    )


def customer_summary(customer_id: str) -> Select[Any]:
    """The summary row of one customer (none when unknown)."""
    return select(mart_customer_summary).where(mart_customer_summary.c.customer_id == customer_id)
