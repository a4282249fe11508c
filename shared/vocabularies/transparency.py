"""Values of the transparency schema that the marts write and the API exposes
(docs/trust_metrics.md defines each)."""

from __future__ import annotations

from typing import Literal, get_args

# Who a customer trusts with a delivery (docs/trust_metrics.md, "Subjects").
SubjectType = Literal["distributor", "stockist", "carrier"]
# The subjects with a contract: the logistics SLA view has no carrier rows.
ContractSubjectType = Literal["distributor", "stockist"]
Badge = Literal["trusted", "reliable", "watch", "at_risk", "unrated"]
GoodwillAction = Literal["none", "apology_note", "shipping_refund", "voucher"]
BreachFlag = Literal[
    "on_time_below_target",
    "delay_above_target",
    "first_response_above_target",
    "resolution_above_target",
    "negative_sentiment",
]
TrustMetric = Literal[
    "on_time_delivery_rate",
    "average_delay_days",
    "shipments_due",
    "median_first_response_minutes",
    "resolution_within_target_share",
    "average_sentiment",
    "support_cases",
    "trusted_share",
    "sla_breach_rate",
    "penalties_accrued",
    "stock_alerts",
    "stale_inventory_stockists",
]

SUBJECT_TYPES: tuple[str, ...] = get_args(SubjectType)
CONTRACT_SUBJECT_TYPES: tuple[str, ...] = get_args(ContractSubjectType)
BADGES: tuple[str, ...] = get_args(Badge)
GOODWILL_ACTIONS: tuple[str, ...] = get_args(GoodwillAction)
BREACH_FLAGS: tuple[str, ...] = get_args(BreachFlag)
TRUST_METRICS: tuple[str, ...] = get_args(TrustMetric)
