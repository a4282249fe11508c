"""Quarantined files: files a run could not land or load, kept out of the way with their reason.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE ops.quarantined_files (
            quarantine_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            entity          text NOT NULL,
            stage           text NOT NULL CHECK (stage IN ('landing', 'load', 'replay')),
            source_key      text NOT NULL,
            quarantine_key  text,
            bronze_file_id  bigint REFERENCES ops.bronze_files,
            sha256          char(64) NOT NULL,
            bytes           bigint NOT NULL,
            rows            bigint NOT NULL,
            error_class     text NOT NULL,
            reason          text NOT NULL,
            run_id          uuid REFERENCES ops.pipeline_runs,
            quarantined_at  timestamptz NOT NULL DEFAULT now(),
            status          text NOT NULL DEFAULT 'quarantined'
                            CHECK (status IN ('quarantined', 'retried', 'discarded')),
            resolved_at     timestamptz,
            resolved_by     text,
            resolution_note text,
            CHECK ((stage = 'landing') = (bronze_file_id IS NULL)),
            CHECK ((stage = 'landing') = (quarantine_key IS NOT NULL)),
            CHECK ((status = 'quarantined') = (resolved_at IS NULL))
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE ops.quarantined_files IS 'Files a run could not land or load: the"
        " file, stage, error and reason; landing files wait under quarantine/ in the lake, bronze"
        " files stay in bronze and out of loads and replays. Rows are never deleted: a retry or"
        " discard records who, when and why'"
    )
    op.execute(
        "COMMENT ON COLUMN ops.quarantined_files.rows IS"
        " 'Records after the first line (the header), counted as ops.bronze_files.rows is'"
    )
    # One open quarantine per landing object and per bronze file: a retried run that crashed
    # between recording and moving finds its row instead of adding another.
    op.execute(
        "CREATE UNIQUE INDEX quarantined_files_open_landing ON ops.quarantined_files"
        " (quarantine_key) WHERE status = 'quarantined'"
    )
    op.execute(
        "CREATE UNIQUE INDEX quarantined_files_open_bronze ON ops.quarantined_files"
        " (bronze_file_id) WHERE status = 'quarantined'"
    )
    op.execute(
        "CREATE INDEX quarantined_files_held ON ops.quarantined_files (bronze_file_id)"
        " WHERE status <> 'retried'"
    )
    op.execute("ALTER TABLE ops.pipeline_runs DROP CONSTRAINT pipeline_runs_status_check")
    op.execute(
        """
        ALTER TABLE ops.pipeline_runs
            ADD CONSTRAINT pipeline_runs_status_check
                CHECK (status IN ('running', 'succeeded', 'quarantined', 'failed')),
            ADD COLUMN files_quarantined integer NOT NULL DEFAULT 0,
            ADD COLUMN quarantined jsonb NOT NULL DEFAULT '[]'::jsonb
        """
    )


def downgrade() -> None:
    op.execute("UPDATE ops.pipeline_runs SET status = 'succeeded' WHERE status = 'quarantined'")
    op.execute(
        "ALTER TABLE ops.pipeline_runs DROP COLUMN quarantined, DROP COLUMN files_quarantined,"
        " DROP CONSTRAINT pipeline_runs_status_check"
    )
    op.execute(
        "ALTER TABLE ops.pipeline_runs ADD CONSTRAINT pipeline_runs_status_check"
        " CHECK (status IN ('running', 'succeeded', 'failed'))"
    )
    op.execute("DROP TABLE ops.quarantined_files")
