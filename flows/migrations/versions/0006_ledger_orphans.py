"""Orphan children in the ledger: rows loaded while the order they refer to has not arrived.

Self-contained (one column); if another revision also follows 0004, point this one's
`down_revision` at it: nothing here depends on the order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE ops.file_ledger ADD COLUMN orphans bigint NOT NULL DEFAULT 0"
        " CHECK (orphans >= 0)"
    )
    op.execute(
        "COMMENT ON COLUMN ops.file_ledger.orphans IS 'Rows of the file loaded (inserted or"
        " updated) while the parent they refer to (an order) was not in silver'"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE ops.file_ledger DROP COLUMN orphans")
