"""ops manifest, runs and ledger; silver orders and rejects.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE ops.pipeline_runs (
            run_id        uuid PRIMARY KEY,
            flow_run_id   text,
            started_at    timestamptz NOT NULL DEFAULT now(),
            finished_at   timestamptz,
            status        text NOT NULL DEFAULT 'running'
                          CHECK (status IN ('running', 'succeeded', 'failed')),
            files         integer NOT NULL DEFAULT 0,
            rows_read     bigint NOT NULL DEFAULT 0,
            rows_inserted bigint NOT NULL DEFAULT 0,
            rows_updated  bigint NOT NULL DEFAULT 0,
            rows_unchanged bigint NOT NULL DEFAULT 0,
            rows_stale    bigint NOT NULL DEFAULT 0,
            rows_rejected bigint NOT NULL DEFAULT 0,
            message       text
        )
        """
    )
    op.execute(
        """
        CREATE TABLE ops.bronze_files (
            bronze_file_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            entity             text NOT NULL,
            sha256             char(64) NOT NULL,
            bytes              bigint NOT NULL,
            rows               bigint NOT NULL,
            original_name      text NOT NULL,
            bronze_path        text NOT NULL,
            schema_fingerprint char(64) NOT NULL,
            landed_at          timestamptz NOT NULL DEFAULT now(),
            loaded_at          timestamptz,
            UNIQUE (entity, sha256)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE ops.file_ledger (
            bronze_file_id bigint PRIMARY KEY REFERENCES ops.bronze_files,
            run_id         uuid NOT NULL REFERENCES ops.pipeline_runs,
            rows_read      bigint NOT NULL,
            rows_inserted  bigint NOT NULL,
            rows_updated   bigint NOT NULL,
            rows_unchanged bigint NOT NULL,
            rows_stale     bigint NOT NULL,
            rows_rejected  bigint NOT NULL,
            loaded_at      timestamptz NOT NULL DEFAULT now(),
            CHECK (rows_read = rows_inserted + rows_updated + rows_unchanged
                               + rows_stale + rows_rejected)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE silver.orders (
            order_id       text PRIMARY KEY,
            customer_id    text NOT NULL,
            order_ts       timestamptz NOT NULL,
            status         text NOT NULL,
            channel        text NOT NULL,
            region         text NOT NULL,
            currency       char(3) NOT NULL,
            total_amount   numeric(14, 2) NOT NULL,
            updated_at     timestamptz NOT NULL,
            extras         jsonb NOT NULL DEFAULT '{}'::jsonb,
            bronze_file_id bigint NOT NULL REFERENCES ops.bronze_files,
            source_line    integer NOT NULL,
            loaded_at      timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX orders_order_day ON silver.orders ((order_ts AT TIME ZONE 'UTC'))")
    op.execute(
        """
        CREATE TABLE silver.rejects (
            reject_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            entity         text NOT NULL,
            bronze_file_id bigint NOT NULL REFERENCES ops.bronze_files,
            line_number    integer NOT NULL,
            raw_row        jsonb NOT NULL,
            rule           text NOT NULL,
            message        text NOT NULL,
            rejected_at    timestamptz NOT NULL DEFAULT now(),
            UNIQUE (bronze_file_id, line_number)
        )
        """
    )

    op.execute(
        """
        CREATE TABLE ops.dirty_days (
            mart text NOT NULL,
            day  date NOT NULL,
            PRIMARY KEY (mart, day)
        )
        """
    )
    op.execute(
        """
        CREATE UNLOGGED TABLE silver.stage_orders_template (
            line_number  bigint NOT NULL,
            order_id     text,
            customer_id  text,
            order_date   text,
            status       text,
            channel      text,
            region       text,
            currency     text,
            total_amount text,
            updated_at   text,
            extras       jsonb NOT NULL,
            raw          jsonb NOT NULL
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE ops.dirty_days IS "
        "'Days whose silver rows changed since the mart was last built'"
    )
    # Casting untrusted text: a failed cast must become a reject, not abort the file's load.
    op.execute(
        """
        CREATE FUNCTION silver.try_timestamptz(value text) RETURNS timestamptz
        LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
        BEGIN
            RETURN value::timestamptz;
        EXCEPTION WHEN others THEN
            RETURN NULL;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION silver.try_timestamptz(text)")
    op.execute("DROP TABLE ops.dirty_days, silver.stage_orders_template")
    op.execute("DROP TABLE silver.rejects, silver.orders, ops.file_ledger, ops.bronze_files")
    op.execute("DROP TABLE ops.pipeline_runs")
