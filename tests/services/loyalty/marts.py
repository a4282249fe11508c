"""Mart rows for the loyalty tests: a small shop of five customers with hand-checked numbers.

`MartWriter.add(table, **columns)` inserts one row with defaults for the columns a test is not
about. `write_shop` writes the summary and recommendation rows most tests read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tests.services.mart_rows import MartWriter

# The generic response helpers of the service tests (identity headers, problem documents).


RECOMMENDATIONS = "/api/loyalty/recommendations"
CUSTOMERS = "/api/loyalty/customers"
SEGMENTS = "/api/loyalty/segments"
BUNDLES = "/api/loyalty/bundles"

REFRESHED = datetime(2026, 11, 27, 6, tzinfo=UTC)
AS_OF = date(2026, 11, 26)

DEFAULTS: dict[str, dict[str, Any]] = {
    "mart_customer_summary": {
        "recency_score": 1, "frequency_score": 1, "monetary_score": 1, "rfm_score": "111",
        "tier": "bronze", "products_bought": [], "currency": "USD", "as_of_date": AS_OF,
        "refreshed_at": REFRESHED,
    },
    "mart_loyalty_recommendations": {
        "product_name": "Product", "basis": "co_purchase", "reason": "Bought with it",
        "discount_tier": "loyal_10", "discount_percent": 10, "reminder_cadence_days": 30,
        "channel": "email", "next_best_action": "cross_sell", "status": "new",
        "as_of_date": AS_OF, "refreshed_at": REFRESHED,
    },
}  # fmt: skip


async def summary(
    marts: MartWriter,
    customer_id: str,
    segment: str,
    monetary: str,
    frequency: int,
    recency_days: int | None,
    **columns: Any,
) -> None:
    """One summary row; lifetime value equals monetary as in the mart."""
    await marts.add("mart_customer_summary", customer_id=customer_id, segment=segment,
                    monetary=Decimal(monetary), lifetime_value=Decimal(monetary),
                    frequency=frequency, recency_days=recency_days, **columns)  # fmt: skip


async def recommendation(
    marts: MartWriter,
    customer_id: str,
    product_id: str,
    rank: int,
    segment: str,
    score: str,
    **columns: Any,
) -> None:
    """One recommendation row; co-purchase rows are anchored on P1 unless told otherwise."""
    if columns.get("basis", "co_purchase") == "co_purchase":
        columns.setdefault("anchor_product_id", "P1")
    await marts.add("mart_loyalty_recommendations", customer_id=customer_id,
                    product_id=product_id, rank=rank, segment=segment, score=Decimal(score),
                    **columns)  # fmt: skip


async def write_shop(marts: MartWriter) -> None:
    """Five customers and six recommendations.

    Summary: C1 loyal (300.00, 4 orders, 10 days), C2 loyal (150.50, 3, 40), C3 new (20.00,
    1, 3), C4 champions (1200.00, 12, 5; no recommendations), C5 lost (every order cancelled:
    0.00, 0, no recency).
    Recommendations: C1 P2 0.6667, P3 0.5000, P4 0.2500 (popularity); C2 P2 0.5000 (queued,
    sms, replenish), P4 0.2500 (popularity, notified); C3 P4 0.4000 (popularity, new customer
    offer, push, welcome series).
    """
    await summary(marts, "C1", "loyal", "300.00", 4, 10, recency_score=5, frequency_score=3,
                  monetary_score=3, rfm_score="533", tier="silver", favourite_category="beans",
                  products_bought=["P1", "P5"], average_order_value=Decimal("75.00"),
                  first_order_at=datetime(2026, 8, 1, 9, tzinfo=UTC),
                  last_order_at=datetime(2026, 11, 16, 9, tzinfo=UTC),
                  repurchase_interval_days=Decimal("35.5"),
                  expected_next_order_date=date(2026, 12, 22))  # fmt: skip
    await summary(marts, "C2", "loyal", "150.50", 3, 40, recency_score=3, frequency_score=3,
                  monetary_score=3, rfm_score="333", products_bought=["P5"])  # fmt: skip
    await summary(marts, "C3", "new", "20.00", 1, 3, recency_score=5, rfm_score="511",
                  products_bought=["P1"])  # fmt: skip
    await summary(marts, "C4", "champions", "1200.00", 12, 5, recency_score=5,
                  frequency_score=5, monetary_score=5, rfm_score="555", tier="gold",
                  products_bought=["P1", "P2", "P3", "P4"])  # fmt: skip
    await summary(marts, "C5", "lost", "0.00", 0, None)
    await recommendation(marts, "C1", "P2", 1, "loyal", "0.6667", product_name="Grinder",
                         reason="Bought by 67% of loyal customers who bought Beans",
                         reminder_cadence_days=36)  # fmt: skip
    await recommendation(marts, "C1", "P3", 2, "loyal", "0.5000", product_name="Filters",
                         reminder_cadence_days=36)  # fmt: skip
    await recommendation(marts, "C1", "P4", 3, "loyal", "0.2500", product_name="Cups",
                         basis="segment_popularity", reminder_cadence_days=36)  # fmt: skip
    await recommendation(marts, "C2", "P2", 1, "loyal", "0.5000", product_name="Grinder",
                         anchor_product_id="P5", status="queued", channel="sms",
                         next_best_action="replenish_reminder")  # fmt: skip
    await recommendation(marts, "C2", "P4", 2, "loyal", "0.2500", product_name="Cups",
                         basis="segment_popularity", status="notified", channel="sms",
                         next_best_action="replenish_reminder")  # fmt: skip
    await recommendation(marts, "C3", "P4", 1, "new", "0.4000", product_name="Cups",
                         basis="segment_popularity", discount_tier="none", discount_percent=0,
                         channel="push", next_best_action="welcome_series")  # fmt: skip
