"""The back office holds silver's current products, customers and orders.

The pipeline copies them in (flows/back_office.py), so the tables accept what silver accepts:
a product's sku and a customer's names may be empty in the sources, and amounts have silver's
precision. The pipeline also removes what silver deleted, so it may DELETE.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from alembic import op

from shared.owners import PIPELINE_ROLE

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE admin.products
            ALTER COLUMN sku DROP NOT NULL,
            ALTER COLUMN price TYPE numeric(14, 2),
            ALTER COLUMN cost TYPE numeric(14, 2)
        """
    )
    op.execute(
        "ALTER TABLE admin.customers ALTER COLUMN first_name DROP NOT NULL,"
        " ALTER COLUMN last_name DROP NOT NULL"
    )
    for table in ("products", "customers", "orders"):
        op.execute(f"GRANT DELETE ON admin.{table} TO {PIPELINE_ROLE}")
        op.execute(
            f"COMMENT ON TABLE admin.{table} IS 'The current {table} of silver (copied by each"
            " pipeline run for the keys it changed) plus back-office edits on their way to"
            " silver through admin.change_outbox'"
        )


def downgrade() -> None:
    for table in ("products", "customers", "orders"):
        op.execute(f"REVOKE DELETE ON admin.{table} FROM {PIPELINE_ROLE}")
    op.execute(
        "ALTER TABLE admin.customers ALTER COLUMN first_name SET NOT NULL,"
        " ALTER COLUMN last_name SET NOT NULL"
    )
    op.execute(
        """
        ALTER TABLE admin.products
            ALTER COLUMN sku SET NOT NULL,
            ALTER COLUMN price TYPE numeric(12, 2),
            ALTER COLUMN cost TYPE numeric(12, 2)
        """
    )
