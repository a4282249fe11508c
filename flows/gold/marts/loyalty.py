"""Marts the loyalty service serves: customer summaries (RFM, segment, tier) and recommendations.

The rules behind their numbers are in docs/loyalty_scoring.md and in the header of each SQL file.
"""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from flows.gold.build import GoldFlow, Mart, load_sql
from flows.gold.contracts import (
    AcceptedValues,
    Expression,
    Freshness,
    NotNull,
    Range,
    Relationship,
    RowCountChange,
    Unique,
)
from flows.gold.inputs import Scope, keyed, next_data_day, whole
from flows.gold.ranking import RECOMMENDATIONS_PER_CUSTOMER, fill_profile_ranks
from shared.database import setting_for
from shared.vocabularies.loyalty import (
    DISCOUNT_TIERS,
    NEXT_BEST_ACTIONS,
    RECOMMENDATION_BASES,
    RECOMMENDATION_STATUSES,
    SEGMENTS,
    TIERS,
)
from shared.vocabularies.reminders import REMINDER_CHANNELS

SUMMARY_REQUIRED = (
    "customer_id", "frequency", "monetary", "recency_score", "frequency_score", "monetary_score",
    "rfm_score", "segment", "lifetime_value", "tier", "currency", "as_of_date",
)  # fmt: skip
RECOMMENDATION_REQUIRED = (
    "customer_id", "product_id", "rank", "segment", "product_name", "score", "basis", "reason",
    "discount_tier", "discount_percent", "reminder_cadence_days", "channel", "next_best_action",
    "status", "as_of_date",
)  # fmt: skip


async def _rank_and_offer(connection: asyncpg.Connection) -> None:
    """The recommendations' work tables: while Python ranks the profiles, the database puts
    each customer's profile and offer in `ops.gold_customer_offers`
    (flows/gold/sql/loyalty_customer_offers.sql)."""
    offers = load_sql("loyalty_customer_offers")
    # Python ranks on one core meanwhile: the statement keeps to the other (with a parallel
    # worker it took the ranking's core, and the build waited longer for the ranking).
    async with setting_for(connection, "max_parallel_workers_per_gather", "0"):
        await fill_profile_ranks(
            connection,
            alongside=f"CREATE UNLOGGED TABLE ops.gold_customer_offers AS {offers};"
            " ANALYZE ops.gold_customer_offers",
        )


MART_CUSTOMER_SUMMARY = Mart(
    table="loyalty.mart_customer_summary",
    sql="mart_customer_summary",
    key=("customer_id",),
    flow=GoldFlow.DATA_PIPELINE,
    scope=Scope.CUSTOMERS,
    scope_column="customer_id",
    all_keys="SELECT DISTINCT customer_id FROM silver.orders",
    # Recency (and so scores and segments) moves with the data date.
    rebuild_on_new_day=True,
    # The KPI snapshot's customer counts (flows/gold/kpis.py): customers have a kept order.
    totals=(
        ("customers", "frequency > 0"),
        ("active_90d", "frequency > 0 AND recency_days < 90"),
        ("repeat_customers", "frequency > 1"),
    ),
    contract=(
        Unique(("customer_id",)),
        NotNull(SUMMARY_REQUIRED),
        AcceptedValues("segment", SEGMENTS),
        AcceptedValues("tier", TIERS),
        Range("recency_score", min=1, max=5),
        Range("frequency_score", min=1, max=5),
        Range("monetary_score", min=1, max=5),
        Range("frequency", min=0),
        Range("monetary", min=0),
        Range("recency_days", min=0),
        Expression(
            "dated exactly when orders were kept",
            "(frequency = 0) = (first_order_at IS NULL)"
            " AND (frequency = 0) = (last_order_at IS NULL)",
        ),
        Expression("first order before last", "first_order_at <= last_order_at"),
        Expression(
            "rfm_score spells the scores",
            "rfm_score = recency_score::text || frequency_score::text || monetary_score::text",
        ),
        Expression(
            "an interval needs two orders",
            "repurchase_interval_days IS NULL OR frequency >= 2",
        ),
        Relationship("customer_id", "silver.customers", "customer_id"),
        RowCountChange(max_change=0.5),
        Freshness("silver.orders", "loaded_at", timedelta(hours=1), timedelta(days=7)),
    ),
    inputs=(
        keyed("silver.orders", "customer_id"),
        keyed("silver.order_items", "customer_id", via="orders"),
        # A product's category decides the favourite category of everyone who bought it: too
        # many customers to mark, so it waits for the next data day's full build.
        next_data_day("silver.products"),
    ),
)

MART_LOYALTY_RECOMMENDATIONS = Mart(
    table="loyalty.mart_loyalty_recommendations",
    sql="mart_loyalty_recommendations",
    key=("customer_id", "product_id"),
    flow=GoldFlow.LOYALTY_RECOMMENDATIONS,
    # The ranking per segment and basket (flows/gold/ranking.py), which the SQL hands out.
    prepare=_rank_and_offer,
    prepare_sql=("loyalty_customer_offers",),
    # A million rows replaced on every build: emptied by TRUNCATE (services/loyalty migration
    # 0004 grants it), a 1.4-2.1 s saving at 1M orders (docs/loyalty_scoring.md).
    truncate_on_full=True,
    # The default 4MB sorts and groups on disk: the profiles of 332k baskets (0.45 s against
    # 0.25 s), the candidate's joins, the unique(customer_id, rank) check's million groups
    # (1.0 s against 0.6 s) and the relationship checks' hashes.
    work_mem="64MB",
    # The candidate's joins, formatting and sort on both cores (1 s of 4.4 at 1M orders): the
    # profiles, their ranks and the customers' offers are work tables, not temporary ones.
    parallel=True,
    work_tables=("ops.gold_profiles", "ops.gold_profile_ranks", "ops.gold_customer_offers"),
    contract=(
        Unique(("customer_id", "product_id")),
        Unique(("customer_id", "rank")),
        NotNull(RECOMMENDATION_REQUIRED),
        Range("score", min=0, max=1),
        Range("rank", min=1, max=RECOMMENDATIONS_PER_CUSTOMER),
        Range("reminder_cadence_days", min=7, max=90),
        AcceptedValues("segment", SEGMENTS),
        AcceptedValues("basis", RECOMMENDATION_BASES),
        AcceptedValues("channel", REMINDER_CHANNELS),
        AcceptedValues("discount_tier", DISCOUNT_TIERS),
        AcceptedValues("next_best_action", NEXT_BEST_ACTIONS),
        AcceptedValues("status", RECOMMENDATION_STATUSES),
        Expression(
            "co-purchase names its anchor",
            "(basis = 'co_purchase') = (anchor_product_id IS NOT NULL)",
        ),
        Relationship("customer_id", "loyalty.mart_customer_summary", "customer_id"),
        Relationship("product_id", "silver.products", "product_id"),
        RowCountChange(max_change=0.5),
    ),
    # Baskets come from the customer summary, not from silver's orders again.
    inputs=whole(
        "loyalty.mart_customer_summary",
        "silver.products",
        "silver.customers",
        "reminders.reminder_preferences",
        "reminders.notification_outbox",
    ),
)

MARTS = (MART_CUSTOMER_SUMMARY, MART_LOYALTY_RECOMMENDATIONS)
