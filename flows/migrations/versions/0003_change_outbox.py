"""Admin change events in silver: deleted orders, and JSON payloads parsed without aborting a load.

Orders have no history, so a delete from the admin change outbox marks the row (`deleted_at`)
instead of removing it: the mark keeps latest-updated_at-wins working for rows that arrive
later, and the revenue mart leaves deleted orders out. SCD2 tables close their current version.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE silver.orders ADD COLUMN deleted_at timestamptz")
    op.execute(
        "COMMENT ON COLUMN silver.orders.deleted_at IS 'When the admin back office deleted the"
        " order (its updated_at then is the same time); NULL while the order exists'"
    )
    # Like try_timestamptz: a payload that is not JSON must become a reject, not fail the file.
    op.execute(
        """
        CREATE FUNCTION silver.try_jsonb(value text) RETURNS jsonb
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
        BEGIN
            RETURN value::jsonb;
        EXCEPTION WHEN others THEN
            RETURN NULL;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION silver.try_jsonb(text)")
    op.execute("ALTER TABLE silver.orders DROP COLUMN deleted_at")
