"""Values of the loyalty schema that the marts write and the API exposes (docs/loyalty_scoring.md
says how each is chosen)."""

from __future__ import annotations

from typing import Literal, get_args

# In precedence order: the first segment rule that matches wins.
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
Tier = Literal["bronze", "silver", "gold", "platinum"]
NextBestAction = Literal["winback_offer", "replenish_reminder", "cross_sell", "welcome_series"]
RecommendationStatus = Literal["new", "queued", "notified"]
RecommendationBasis = Literal["co_purchase", "segment_popularity"]
DiscountTier = Literal["none", "standard_5", "loyal_10", "winback_15"]

SEGMENTS: tuple[str, ...] = get_args(Segment)
TIERS: tuple[str, ...] = get_args(Tier)
NEXT_BEST_ACTIONS: tuple[str, ...] = get_args(NextBestAction)
RECOMMENDATION_STATUSES: tuple[str, ...] = get_args(RecommendationStatus)
RECOMMENDATION_BASES: tuple[str, ...] = get_args(RecommendationBasis)
DISCOUNT_TIERS: tuple[str, ...] = get_args(DiscountTier)
