"""What the admin service may read of the pipeline: seven `ops.api_*` views, nothing else.

The admin API shows operators the runs, each run's per-file ledger, rejects, quarantined files,
data-contract results, mart builds with their freshness and the KPI snapshots. It reads them
through these views only: the views run with the pipeline role's rights, and the admin role gets
USAGE on `ops` (to name the views) and SELECT on the views, so every `ops`/`silver` table stays
closed to it. A column the API needs is added here, not by a grant on a table.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from alembic import op

from shared.owners import OWNERSHIP, Owner

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ADMIN_ROLE = OWNERSHIP[Owner.ADMIN].role

VIEWS = {
    "api_pipeline_runs": """
        SELECT run_id, flow_run_id, kind, status, started_at, finished_at, files, rows_read,
            rows_inserted, rows_updated, rows_unchanged, rows_stale, rows_rejected,
            parents_inferred, files_quarantined, anomalies, quarantined, message,
            back_office_synced, back_office_removed, back_office_skipped
        FROM ops.pipeline_runs
    """,
    "api_run_files": """
        SELECT l.run_id, l.bronze_file_id, l.entity, b.original_name, b.bronze_path, b.sha256,
            b.bytes, b.landed_at, l.rows_read, l.rows_inserted, l.rows_updated,
            l.rows_unchanged, l.rows_stale, l.rows_rejected, l.parents_inferred, l.orphans,
            l.replayed_rejects, l.loaded_at
        FROM ops.file_ledger l JOIN ops.bronze_files b USING (bronze_file_id)
    """,
    "api_rejects": """
        SELECT reject_id, entity, bronze_file_id, line_number, raw_row, rule, message, run_id,
            rejected_at, resolved_at, resolved_run_id
        FROM silver.rejects
    """,
    "api_quarantined_files": """
        SELECT quarantine_id, entity, stage, source_key, quarantine_key, bronze_file_id, sha256,
            bytes, rows, error_class, reason, run_id, quarantined_at, status, resolved_at,
            resolved_by, resolution_note
        FROM ops.quarantined_files
    """,
    "api_contract_results": """
        SELECT result_id, run_id, mart, check_name, severity, status, failing_rows, sample,
            detail, checked_at
        FROM ops.quality_results
    """,
    "api_mart_builds": """
        SELECT mart, run_id, mode, as_of, rows, built_at,
            extract(epoch FROM now() - built_at)::bigint AS age_seconds
        FROM ops.mart_builds
    """,
    "api_kpi_snapshots": """
        SELECT run_id, as_of, orders, customers, net_revenue, average_order_value,
            orders_last_30_days, revenue_last_30_days, active_customers_90d,
            repeat_customer_rate, cancellation_rate, currency, captured_at
        FROM ops.kpi_snapshots
    """,
}


def upgrade() -> None:
    op.execute(f"GRANT USAGE ON SCHEMA ops TO {ADMIN_ROLE}")
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW ops.{name} AS {query}")
        op.execute(f"GRANT SELECT ON ops.{name} TO {ADMIN_ROLE}")
        op.execute(
            f"COMMENT ON VIEW ops.{name} IS 'Read by the admin service (pipeline API); the"
            " admin role reads ops only through the ops.api_* views'"
        )


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW ops.{name}")
    op.execute(f"REVOKE USAGE ON SCHEMA ops FROM {ADMIN_ROLE}")
