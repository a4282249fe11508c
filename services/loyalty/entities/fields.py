"""Field types the loyalty models share: the marts' vocabularies, declared once in
shared/vocabularies/ (the marts' data contracts check the same lists)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.fields import decimal_amount
from shared.openapi_components import publish_enum
from shared.vocabularies.loyalty import (
    DiscountTier,
    NextBestAction,
    RecommendationStatus,
    Segment,
    Tier,
)
from shared.vocabularies.loyalty import RecommendationBasis as Basis
from shared.vocabularies.reminders import ReminderChannel as Channel

__all__ = [
    "Basis",
    "Channel",
    "CustomerId",
    "DiscountTier",
    "Monetary",
    "NextBestAction",
    "ProductId",
    "RecommendationStatus",
    "Segment",
    "Tier",
]

# One component each in the OpenAPI document, however many fields use them.
publish_enum("Segment", Segment)
publish_enum("ReminderChannel", Channel)
publish_enum("NextBestAction", NextBestAction)
publish_enum("RecommendationStatus", RecommendationStatus)
publish_enum("RecommendationBasis", Basis)
publish_enum("DiscountTier", DiscountTier)
publish_enum("Tier", Tier)

CustomerId = Annotated[str, Field(max_length=64, description="A customer id, e.g. C0000042.")]
ProductId = Annotated[str, Field(max_length=64, description="A product id, e.g. P0007.")]
# A base-currency amount as the summary mart holds it (numeric(16, 2)).
Monetary = decimal_amount(16)
