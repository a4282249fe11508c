"""Gold bookkeeping: data contract results, KPI snapshots, dirty customers and mart builds.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

RUN_KINDS = "('incremental', 'replay', 'replay_rejects', 'loyalty_recommendations', "
RUN_KINDS += "'trust_transparency', 'rebuild')"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE ops.quality_results (
            result_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            run_id        uuid NOT NULL,
            mart          text NOT NULL,
            check_name    text NOT NULL,
            severity      text NOT NULL CHECK (severity IN ('warn', 'error')),
            status        text NOT NULL CHECK (status IN ('pass', 'warn', 'error')),
            failing_rows  bigint NOT NULL DEFAULT 0 CHECK (failing_rows >= 0),
            sample        jsonb NOT NULL DEFAULT '[]'::jsonb,
            detail        text NOT NULL DEFAULT '',
            checked_at    timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX quality_results_run ON ops.quality_results (run_id)")
    op.execute(
        "CREATE INDEX quality_results_failing ON ops.quality_results (mart, checked_at)"
        " WHERE status <> 'pass'"
    )
    op.execute(
        "COMMENT ON TABLE ops.quality_results IS 'One row per data contract check per mart build:"
        " its outcome and a sample of the rows that broke it'"
    )
    op.execute(
        """
        CREATE TABLE ops.dirty_customers (
            mart        text NOT NULL,
            customer_id text NOT NULL,
            PRIMARY KEY (mart, customer_id)
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE ops.dirty_customers IS "
        "'Customers whose silver rows changed since the mart was last built'"
    )
    op.execute(
        """
        CREATE TABLE ops.mart_builds (
            mart        text PRIMARY KEY,
            run_id      uuid NOT NULL,
            mode        text NOT NULL CHECK (mode IN ('full', 'incremental')),
            as_of       timestamp,
            rows        bigint NOT NULL,
            built_at    timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE ops.mart_builds IS 'The last published build of each mart: when, by"
        " which run, incrementally or in full, and the data time (as_of) it reflects'"
    )
    op.execute(
        """
        CREATE TABLE ops.kpi_snapshots (
            run_id                 uuid PRIMARY KEY,
            as_of                  timestamp,
            orders                 bigint NOT NULL,
            customers              bigint NOT NULL,
            net_revenue            numeric(18, 2) NOT NULL,
            average_order_value    numeric(16, 2),
            orders_last_30_days    bigint NOT NULL,
            revenue_last_30_days   numeric(18, 2) NOT NULL,
            active_customers_90d   bigint NOT NULL,
            repeat_customer_rate   numeric(6, 4),
            cancellation_rate      numeric(6, 4),
            currency               char(3) NOT NULL,
            captured_at            timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE ops.kpi_snapshots IS 'Headline KPIs after each pipeline run (the"
        " seed''s enrichment step), from the published marts'"
    )
    op.execute("ALTER TABLE ops.pipeline_runs DROP CONSTRAINT pipeline_runs_kind_check")
    op.execute(
        "ALTER TABLE ops.pipeline_runs ADD CONSTRAINT pipeline_runs_kind_check"
        f" CHECK (kind IN {RUN_KINDS})"
    )
    op.execute("CREATE INDEX order_items_product ON silver.order_items (product_id)")
    op.execute("CREATE INDEX shipments_promised ON silver.shipments (promised_date)")
    op.execute(
        "CREATE INDEX support_interactions_opened ON silver.support_interactions"
        " ((opened_at AT TIME ZONE 'UTC'))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX silver.support_interactions_opened")
    op.execute("DROP INDEX silver.shipments_promised")
    op.execute("DROP INDEX silver.order_items_product")
    op.execute(
        "DELETE FROM ops.pipeline_runs"
        " WHERE kind NOT IN ('incremental', 'replay', 'replay_rejects')"
    )
    op.execute("ALTER TABLE ops.pipeline_runs DROP CONSTRAINT pipeline_runs_kind_check")
    op.execute(
        "ALTER TABLE ops.pipeline_runs ADD CONSTRAINT pipeline_runs_kind_check"
        " CHECK (kind IN ('incremental', 'replay', 'replay_rejects'))"
    )
    op.execute("DROP TABLE ops.kpi_snapshots, ops.mart_builds, ops.dirty_customers")
    op.execute("DROP TABLE ops.quality_results")
