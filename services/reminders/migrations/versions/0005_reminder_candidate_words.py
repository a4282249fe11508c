"""The reminder candidates' comments say what is computed: the last kept order, the median
repurchase interval, and the opted-out customers left out (flows/gold/sql/reminder_candidates.sql,
docs/reminders.md).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# None: the table's own comment.
COMMENTS: dict[str | None, str] = {
    None: "Customers due a reminder as of the data date (gold_params.as_of_date), one row each:"
    " the cadence and preference that apply, and the reminder window they are in. Customers who"
    " opted out are left out: marketing_opt_in false on their current silver row (unknown is no"
    " opt-out), or every preference of the level that applies disabled",
    "cadence_source": "Where cadence_days comes from: customer_preference, segment_preference,"
    " repurchase_interval (the customer's median gap between consecutive kept orders,"
    " loyalty.mart_customer_summary.repurchase_interval_days, rounded to whole days and clamped"
    " to 7..90) or default (30 days, under two kept orders)",
    "last_order_at": "The customer's last kept order (neither cancelled, returned nor deleted;"
    " loyalty.mart_customer_summary.last_order_at): a later cancelled or returned order does"
    " not move it",
    "due_date": "UTC date of last_order_at + cadence_days: the first day a reminder is due",
}
# What 0003 said, restored by a downgrade.
PREVIOUS: dict[str | None, str] = {
    None: "Customers due a reminder as of the data date (gold_params.as_of_date), one row each:"
    " the cadence and preference that apply, and the reminder window they are in",
    "cadence_source": "Where cadence_days comes from: customer_preference, segment_preference,"
    " repurchase_interval (the customer's average gap between orders, clamped to 7..90 days) or"
    " default (30 days)",
    "last_order_at": "The customer's newest (not deleted) order",
    "due_date": "UTC date of the last order + cadence_days: the first day a reminder is due",
}


def _comment(comments: dict[str | None, str]) -> None:
    table = "reminders.reminder_candidates"
    for column, text in comments.items():
        target = f"TABLE {table}" if column is None else f"COLUMN {table}.{column}"
        op.execute(f"COMMENT ON {target} IS '" + text.replace("'", "''") + "'")


def upgrade() -> None:
    _comment(COMMENTS)


def downgrade() -> None:
    _comment(PREVIOUS)
