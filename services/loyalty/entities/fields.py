"""Field types the loyalty models share: the marts' vocabularies, declared once in
shared/vocabularies/ (the marts' data contracts check the same lists)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.openapi_components import publish_enum
from shared.vocabularies.loyalty import DiscountTier, NextBestAction, RecommendationStatus, Segment
from shared.vocabularies.loyalty import RecommendationBasis as Basis
from shared.vocabularies.reminders import ReminderChannel as Channel

__all__ = [
    "Basis",
    "Channel",
    "CustomerId",
    "DiscountTier",
    "NextBestAction",
    "ProductId",
    "RecommendationStatus",
    "Segment",
]

# One component each in the OpenAPI document, however many fields use them.
publish_enum("Segment", Segment)
publish_enum("ReminderChannel", Channel)
publish_enum("NextBestAction", NextBestAction)
publish_enum("RecommendationStatus", RecommendationStatus)
publish_enum("RecommendationBasis", Basis)
publish_enum("DiscountTier", DiscountTier)

CustomerId = Annotated[str, Field(max_length=64, description="A customer id, e.g. C0000042.")]
ProductId = Annotated[str, Field(max_length=64, description="A product id, e.g. P0007.")]
