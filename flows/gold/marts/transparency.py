"""Marts the transparency service serves: daily trust scores, the logistics SLA view and the
headline trust metrics built from them (definitions in docs/trust_metrics.md)."""

from __future__ import annotations

from datetime import timedelta

from flows.gold.build import GoldFlow, Mart
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
from flows.gold.inputs import Scope, keyed, whole
from shared.vocabularies.transparency import (
    BADGES,
    BREACH_FLAGS,
    CONTRACT_SUBJECT_TYPES,
    GOODWILL_ACTIONS,
    SUBJECT_TYPES,
    TRUST_METRICS,
)

TRUST_SCORE_REQUIRED = (
    "score_date", "subject_type", "subject_id", "shipments_due", "delivered_on_time",
    "shipments_late", "shipments_pending", "late_days_total", "support_cases", "badge",
    "breach_flags", "goodwill_action",
)  # fmt: skip
LOGISTICS_SLA_REQUIRED = (
    "subject_type", "subject_id", "regions_served", "cities_served", "orders_routed_30d",
    "shipments_30d", "breaches_30d", "late_days_30d", "penalty_amount", "base_currency",
    "stock_alerts", "stock_alert_products",
)  # fmt: skip


def _flags_within(flags: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{flag}'" for flag in flags)
    return f"breach_flags <@ ARRAY[{listed}]::text[]"


MART_TRUST_SCORES = Mart(
    table="transparency.mart_trust_scores",
    sql="mart_trust_scores",
    key=("score_date", "subject_type", "subject_id"),
    flow=GoldFlow.DATA_PIPELINE,
    scope=Scope.DAYS,
    scope_column="score_date",
    all_keys=(
        "SELECT promised_date FROM silver.shipments"
        " UNION SELECT (opened_at AT TIME ZONE 'UTC')::date FROM silver.support_interactions"
    ),
    # Whether an undelivered shipment is late depends on the data date: when it moves, the days
    # that change are those of the undelivered shipments promised before the later of the two
    # dates (overdue under one of them, and so late by a number of days that moved).
    new_day_keys=(
        "SELECT DISTINCT promised_date FROM silver.shipments"
        " WHERE delivered_at IS NULL AND promised_date < $1"
    ),
    contract=(
        Unique(("score_date", "subject_type", "subject_id")),
        NotNull(TRUST_SCORE_REQUIRED),
        AcceptedValues("subject_type", SUBJECT_TYPES),
        AcceptedValues("badge", BADGES),
        AcceptedValues("goodwill_action", GOODWILL_ACTIONS),
        Range("on_time_rate", min=0, max=1),
        Range("trust_score", min=0, max=100),
        Range("avg_sentiment", min=-1, max=1),
        Range("average_delay_days", min=0),
        Expression("on time within due", "delivered_on_time <= shipments_due"),
        Expression(
            "due split into on time and late",
            "delivered_on_time + shipments_late = shipments_due",
        ),
        Expression("known breach flags", _flags_within(BREACH_FLAGS)),
        Expression("reasons with every breach", "(breach_reasons IS NULL) = (breach_flags = '{}')"),
        Expression("scored exactly when rated", "(trust_score IS NULL) = (badge = 'unrated')"),
        Expression(
            "goodwill only after a breach", "(goodwill_action = 'none') = (breach_flags = '{}')"
        ),
        RowCountChange(max_change=0.5),
        Freshness("silver.shipments", "loaded_at", timedelta(hours=1), timedelta(days=7)),
    ),
    # A shipment marks its promised day and the opened days of the support cases about its
    # order (a case counts for the subjects that shipped its order).
    inputs=(
        keyed("silver.shipments", "promised_date"),
        keyed("silver.shipments", "opened_at", via="support_interactions"),
        keyed("silver.support_interactions", "opened_at"),
    ),
)

MART_LOGISTICS_SLA = Mart(
    table="transparency.mart_logistics_sla",
    sql="mart_logistics_sla",
    key=("subject_type", "subject_id"),
    flow=GoldFlow.TRUST_TRANSPARENCY,
    contract=(
        Unique(("subject_type", "subject_id")),
        NotNull(LOGISTICS_SLA_REQUIRED),
        # A penalty without a rate cannot be put in the base currency: recorded, not blocking.
        NotNull(("penalty_amount_base",), severity="warn"),
        AcceptedValues("subject_type", CONTRACT_SUBJECT_TYPES),
        Range("penalty_amount", min=0),
        Range("penalty_amount_base", min=0),
        Range("shipments_30d", min=0),
        Range("breaches_30d", min=0),
        Range("late_days_30d", min=0),
        Range("stock_alerts", min=0),
        Range("days_on_hand", min=0),
        Expression("breaches within shipments", "breaches_30d <= shipments_30d"),
        Expression("late days only with breaches", "(late_days_30d > 0) = (breaches_30d > 0)"),
        Expression(
            "subject is its own key",
            "subject_id = CASE subject_type WHEN 'distributor' THEN distributor_id"
            " ELSE stockist_id END",
        ),
        Expression("alert products capped", "cardinality(stock_alert_products) <= 10"),
        # A stockist whose distributor row was rejected upstream still has its own SLA: the
        # missing reference is reported, not a reason to withhold every subject's row.
        Relationship("distributor_id", "silver.distributors", "distributor_id", severity="warn"),
        Relationship("stockist_id", "silver.stockists", "stockist_id"),
        RowCountChange(max_change=0.5),
    ),
    inputs=whole(
        "silver.distributors",
        "silver.stockists",
        "silver.orders",
        "silver.shipments",
        "silver.inventory_snapshots",
        "silver.fx_rates",
    ),
)

TRUST_METRICS_MART = Mart(
    table="transparency.trust_metrics",
    sql="trust_metrics",
    key=("metric",),
    flow=GoldFlow.TRUST_TRANSPARENCY,
    contract=(
        Unique(("metric",)),
        NotNull(("metric", "unit", "time_window", "description")),
        AcceptedValues("metric", TRUST_METRICS),
        AcceptedValues("target_direction", ("at_least", "at_most")),
        Expression("ratios within 0..1", "unit <> 'ratio' OR value BETWEEN 0 AND 1"),
        Expression(
            "judged only against a target",
            "(meets_target IS NULL) = (target IS NULL OR value IS NULL)",
        ),
    ),
    inputs=whole(
        "transparency.mart_trust_scores",
        "transparency.mart_logistics_sla",
        "silver.support_interactions",
    ),
)

# Trust scores come first: the data pipeline builds them, the metrics read them.
MARTS: tuple[Mart, ...] = (MART_TRUST_SCORES, MART_LOGISTICS_SLA, TRUST_METRICS_MART)
