"""The trust marts' comments give each number's published precision and how it is rounded, and
that targets judge the published value (docs/trust_metrics.md, "Precision and rounding").

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

HALVES = "rounded half away from zero"
COMMENTS: dict[tuple[str, str], str | None] = {
    ("mart_trust_scores", "on_time_rate"): "delivered_on_time / shipments_due, 4 places"
    f" ({HALVES}); NULL without due shipments",
    ("mart_trust_scores", "average_delay_days"): "late_days_total / shipments_late, 2 places"
    f" ({HALVES}); NULL when nothing was late",
    ("mart_trust_scores", "avg_first_response_minutes"): "Mean first_response_minutes of the"
    f" day's cases that have one, 1 place ({HALVES}); NULL when none has",
    ("mart_trust_scores", "avg_resolution_minutes"): "Mean resolution_minutes of the day's cases"
    f" that have one, 1 place ({HALVES}); NULL when none has",
    ("mart_trust_scores", "avg_sentiment"): "Mean sentiment of those cases, -1 (negative) to 1"
    f" (positive), 3 places ({HALVES})",
    ("mart_trust_scores", "trust_score"): "0-100 weighted composite (on-time 50, delay 20, support"
    " responsiveness 20, sentiment 10; missing parts reweighted) of the unrounded parts, computed"
    f" exactly and {HALVES} once to 2 places; NULL with nothing to score",
    ("trust_metrics", "value"): "The metric's value in its unit at its published precision:"
    " ratios 4 places, days 2, minutes 1, sentiment score 3, currency 2, counts whole (the"
    f" column holds 4 places); {HALVES}; NULL when there is nothing to measure",
    ("trust_metrics", "meets_target"): "Whether the published (rounded) value meets target, so"
    " the verdict matches the number shown; NULL without a target or a value",
}
# What 0002 said (None: no comment), restored by a downgrade.
PREVIOUS: dict[tuple[str, str], str | None] = {
    ("mart_trust_scores", "on_time_rate"): "delivered_on_time / shipments_due; NULL without due"
    " shipments",
    ("mart_trust_scores", "average_delay_days"): "late_days_total / shipments_late; NULL when"
    " nothing was late",
    ("mart_trust_scores", "avg_first_response_minutes"): None,
    ("mart_trust_scores", "avg_resolution_minutes"): None,
    ("mart_trust_scores", "avg_sentiment"): "Mean sentiment of those cases, -1 (negative) to 1"
    " (positive)",
    ("mart_trust_scores", "trust_score"): "0-100 weighted composite (on-time 50, delay 20, support"
    " responsiveness 20, sentiment 10; missing parts reweighted); NULL with nothing to score",
    ("trust_metrics", "value"): "The metric's value in its unit; NULL when there is nothing to"
    " measure",
    ("trust_metrics", "meets_target"): "Whether value meets target; NULL without a target or a"
    " value",
}


def _comment(comments: dict[tuple[str, str], str | None]) -> None:
    for (table, column), text in comments.items():
        quoted = "NULL" if text is None else "'" + text.replace("'", "''") + "'"
        op.execute(f"COMMENT ON COLUMN transparency.{table}.{column} IS {quoted}")


def upgrade() -> None:
    _comment(COMMENTS)


def downgrade() -> None:
    _comment(PREVIOUS)
