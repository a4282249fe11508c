"""The revenue mart's full set of measures: units, gross, discounts, new and returning customers,
and returns counted apart from cancellations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MEASURES = {
    "units": "integer NOT NULL DEFAULT 0 CHECK (units >= 0)",
    "gross_revenue": "numeric(16, 2) NOT NULL DEFAULT 0",
    "discounts": "numeric(16, 2) NOT NULL DEFAULT 0",
    "new_customers": "integer NOT NULL DEFAULT 0 CHECK (new_customers >= 0)",
    "returning_customers": "integer NOT NULL DEFAULT 0 CHECK (returning_customers >= 0)",
    "returned_orders": "integer NOT NULL DEFAULT 0 CHECK (returned_orders >= 0)",
}
COMMENTS = {
    "orders": "Orders placed that day and neither cancelled nor returned",
    "units": "Units in those orders",
    "gross_revenue": "Their subtotals before discounts, in the base currency",
    "discounts": "Their discounts, in the base currency",
    "net_revenue": "What their customers paid (after discounts, with shipping and tax), in the"
    " base currency",
    "average_order_value": "net_revenue / orders",
    "new_customers": "Customers whose first order was placed that day",
    "returning_customers": "Customers ordering that day who had ordered before",
    "cancelled_orders": "Orders placed that day and since cancelled",
    "returned_orders": "Orders placed that day and since returned",
}


def upgrade() -> None:
    op.execute(
        "ALTER TABLE admin.mart_daily_revenue "
        + ", ".join(f"ADD COLUMN {name} {ddl}" for name, ddl in MEASURES.items())
    )
    for column, comment in COMMENTS.items():
        text = comment.replace("'", "''")
        op.execute(f"COMMENT ON COLUMN admin.mart_daily_revenue.{column} IS '{text}'")


def downgrade() -> None:
    op.execute(
        "ALTER TABLE admin.mart_daily_revenue "
        + ", ".join(f"DROP COLUMN {name}" for name in MEASURES)
    )
