"""Back-office marks: the products, customers and orders a run changed in silver, which the same
run copies into `admin.products/customers/orders`; and the run's back-office totals.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE ops.dirty_back_office (
            entity     text NOT NULL CHECK (entity IN ('products', 'customers', 'orders')),
            key        text NOT NULL,
            marked_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (entity, key)
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE ops.dirty_back_office IS 'Keys of silver products, customers and"
        " orders changed since the back office (admin schema) last copied them; the run that"
        " marks them copies them and clears the marks'"
    )
    op.execute(
        """
        ALTER TABLE ops.pipeline_runs
            ADD COLUMN back_office_synced integer NOT NULL DEFAULT 0,
            ADD COLUMN back_office_removed integer NOT NULL DEFAULT 0,
            ADD COLUMN back_office_skipped integer NOT NULL DEFAULT 0
        """
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE ops.pipeline_runs DROP COLUMN back_office_synced,"
        " DROP COLUMN back_office_removed, DROP COLUMN back_office_skipped"
    )
    op.execute("DROP TABLE ops.dirty_back_office")
