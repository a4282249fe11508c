"""admin.mart_daily_revenue, written by the pipeline role, read by the admin service.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

from shared.owners import PIPELINE_ROLE

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE admin.mart_daily_revenue (
            order_date          date NOT NULL,
            channel             text NOT NULL,
            region              text NOT NULL,
            orders              integer NOT NULL CHECK (orders >= 0),
            cancelled_orders    integer NOT NULL CHECK (cancelled_orders >= 0),
            net_revenue         numeric(16, 2) NOT NULL,
            average_order_value numeric(16, 2),
            currency            char(3) NOT NULL,
            refreshed_at        timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (order_date, channel, region)
        )
        """
    )
    op.execute(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON admin.mart_daily_revenue TO {PIPELINE_ROLE}"
    )


def downgrade() -> None:
    op.execute("DROP TABLE admin.mart_daily_revenue")
