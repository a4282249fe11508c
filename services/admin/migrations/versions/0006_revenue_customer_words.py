"""The revenue mart's customer counts say what is counted: per channel and region row, a
customer's first order makes them new in that row only (flows/gold/sql/mart_daily_revenue.sql).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COMMENTS = {
    "new_customers": "Customers whose first order ever (earliest order_ts, then order_id, of any"
    " status; deleted orders aside) is one of this row's orders. Per channel and region: a"
    " customer is new in the row of that first order only, so rows do not add up to the day's"
    " distinct customers",
    "returning_customers": "Customers with an order in this row (any status) whose first order"
    " ever is not in it: placed on an earlier day, or that day in another channel or region",
}
# What 0003 said, restored by a downgrade.
PREVIOUS = {
    "new_customers": "Customers whose first order was placed that day",
    "returning_customers": "Customers ordering that day who had ordered before",
}


def _comment(comments: dict[str, str]) -> None:
    for column, text in comments.items():
        quoted = "'" + text.replace("'", "''") + "'"
        op.execute(f"COMMENT ON COLUMN admin.mart_daily_revenue.{column} IS {quoted}")


def upgrade() -> None:
    _comment(COMMENTS)


def downgrade() -> None:
    _comment(PREVIOUS)
