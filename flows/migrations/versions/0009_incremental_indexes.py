"""Indexes that keep an incremental run's statements index ranges, whatever the history.

- `loaded_at` of `silver.orders` and `silver.shipments`: the mart contracts' `Freshness` checks
  read the newest one on every build; without an index each read scanned every row.
- `silver.shipments (promised_date) WHERE delivered_at IS NULL`: when the data date moves, the
  trust-score days that change are those of undelivered shipments promised before it.
- `silver.support_interactions (order_id)`: a changed shipment marks the days of the support
  cases about its order.

And `ops.mart_builds.totals`: row counts a mart declares (`Mart.totals`), kept by its builds so
the KPI snapshot does not count every customer after each run.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = {
    "orders_loaded": "silver.orders (loaded_at)",
    "shipments_loaded": "silver.shipments (loaded_at)",
    "shipments_undelivered": "silver.shipments (promised_date) WHERE delivered_at IS NULL",
    "support_interactions_order": "silver.support_interactions (order_id)",
}


def upgrade() -> None:
    for name, definition in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {definition}")
    op.execute("ALTER TABLE ops.mart_builds ADD COLUMN totals jsonb NOT NULL DEFAULT '{}'")
    op.execute(
        "COMMENT ON COLUMN ops.mart_builds.totals IS 'Row counts the mart declares (name:"
        " count), as of this build; kept incrementally'"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE ops.mart_builds DROP COLUMN totals")
    for name in INDEXES:
        op.execute(f"DROP INDEX silver.{name}")
