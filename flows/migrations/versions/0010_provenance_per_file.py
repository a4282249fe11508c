"""Silver rows' provenance is checked once per file, not once per row.

Each silver table's `bronze_file_id` referenced `ops.bronze_files`, and PostgreSQL checks such a
foreign key with a trigger per inserted or updated row: on a file of 300,000 new orders that was a
third of the load (6 of 18 s). The rows of one file all carry the same id, so the load checks it
once instead: every load transaction locks its file's `ops.bronze_files` row (FOR KEY SHARE, see
`flows.silver.load.lock_bronze_file`) and writes a ledger row for it, whose foreign key stays.
What the per-row key also promised, that the file a row names never goes away, is kept by a
trigger: `ops.bronze_files` refuses DELETE and TRUNCATE (nothing in the pipeline removes a
landed file's row; a quarantined file is discarded by status, its row stays).

`silver.rejects` keeps its foreign key: rejects are few, and it guards rows that are written
outside a file's load too.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The silver tables whose rows carry a file's provenance (flows.silver.tables.SILVER_TABLES).
SILVER_TABLES = (
    "distributors", "stockists", "products", "fx_rates", "customers", "orders", "order_items",
    "payments", "shipments", "support_interactions", "inventory_snapshots", "csr_badges",
)  # fmt: skip


def upgrade() -> None:
    for table in SILVER_TABLES:
        op.execute(
            f"ALTER TABLE silver.{table} DROP CONSTRAINT {table}_bronze_file_id_fkey"  # nosec B608 # names from the constant above
        )
    op.execute(
        """
        CREATE FUNCTION ops.bronze_files_kept() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'ops.bronze_files keeps every landed file (silver rows name it): %'
                ' refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER bronze_files_no_delete BEFORE DELETE ON ops.bronze_files"
        " FOR EACH ROW EXECUTE FUNCTION ops.bronze_files_kept()"
    )
    op.execute(
        "CREATE TRIGGER bronze_files_no_truncate BEFORE TRUNCATE ON ops.bronze_files"
        " FOR EACH STATEMENT EXECUTE FUNCTION ops.bronze_files_kept()"
    )
    op.execute(
        "COMMENT ON TABLE ops.bronze_files IS 'Every landed file, never deleted: silver rows"
        " name theirs in bronze_file_id (checked once per file by the load, not per row)'"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER bronze_files_no_truncate ON ops.bronze_files")
    op.execute("DROP TRIGGER bronze_files_no_delete ON ops.bronze_files")
    op.execute("DROP FUNCTION ops.bronze_files_kept()")
    for table in SILVER_TABLES:
        op.execute(
            f"ALTER TABLE silver.{table} ADD CONSTRAINT {table}_bronze_file_id_fkey"  # nosec B608 # names from the constant above
            f" FOREIGN KEY (bronze_file_id) REFERENCES ops.bronze_files"
        )
