"""Field types the loyalty models share: the marts' vocabularies (their data contract's values,
flows/gold/marts/loyalty.py; tests/services/loyalty/test_segments.py checks they agree)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.openapi_components import publish_enum

Segment = Literal[
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "at_risk",
    "cannot_lose",
    "hibernating",
    "lost",
]
Channel = Literal["email", "sms", "push"]
NextBestAction = Literal["winback_offer", "replenish_reminder", "cross_sell", "welcome_series"]
RecommendationStatus = Literal["new", "queued", "notified"]
Basis = Literal["co_purchase", "segment_popularity"]
DiscountTier = Literal["none", "standard_5", "loyal_10", "winback_15"]
# One component each in the OpenAPI document, however many fields use them.
publish_enum("Segment", Segment)
publish_enum("ReminderChannel", Channel)
publish_enum("NextBestAction", NextBestAction)
publish_enum("RecommendationStatus", RecommendationStatus)
publish_enum("RecommendationBasis", Basis)
publish_enum("DiscountTier", DiscountTier)

CustomerId = Annotated[str, Field(max_length=64, description="A customer id, e.g. C0000042.")]
ProductId = Annotated[str, Field(max_length=64, description="A product id, e.g. P0007.")]
