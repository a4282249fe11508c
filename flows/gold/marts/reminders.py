"""Marts the reminders service serves: who is due a reminder, on which channel and cadence."""

from __future__ import annotations

from flows.gold.build import GoldFlow, Mart
from flows.gold.contracts import (
    AcceptedValues,
    Expression,
    NotNull,
    Range,
    Relationship,
    RowCountChange,
    Unique,
)
from flows.gold.inputs import Scope, whole
from shared.vocabularies.reminders import CADENCE_SOURCES, REMINDER_CHANNELS

REQUIRED_COLUMNS = (
    "customer_id", "channel", "cadence_days", "cadence_source", "last_order_at", "due_date",
    "days_overdue", "window_start", "cadence_window", "timezone", "as_of_date",
)  # fmt: skip

REMINDER_CANDIDATES = Mart(
    table="reminders.reminder_candidates",
    sql="reminder_candidates",
    key=("customer_id",),
    flow=GoldFlow.LOYALTY_RECOMMENDATIONS,
    # Whole: preferences change outside the pipeline (in the reminders service), so no dirty
    # marks could say which customers to rebuild.
    scope=Scope.FULL,
    contract=(
        Unique(("customer_id",)),
        NotNull(REQUIRED_COLUMNS),
        AcceptedValues("channel", REMINDER_CHANNELS),
        AcceptedValues("cadence_source", CADENCE_SOURCES),
        Range("cadence_days", min=1, max=365),
        Range("days_overdue", min=0),
        Relationship("customer_id", "loyalty.mart_customer_summary", "customer_id"),
        Expression(
            "preference behind preference cadences",
            "(preference_id IS NOT NULL)"
            " = (cadence_source IN ('customer_preference', 'segment_preference'))",
        ),
        Expression(
            "window within the cadence",
            "window_start BETWEEN due_date AND as_of_date"
            " AND as_of_date < window_start + cadence_days",
        ),
        Expression(
            "quiet hours set together",
            "(quiet_hours_start IS NULL) = (quiet_hours_end IS NULL)",
        ),
        # Who is due moves with the calendar; a big swing is worth a look, not a stop.
        RowCountChange(max_change=0.5, severity="warn"),
    ),
    inputs=whole(
        "loyalty.mart_customer_summary",
        "reminders.reminder_preferences",
        "silver.customers",
    ),
)

MARTS = (REMINDER_CANDIDATES,)
