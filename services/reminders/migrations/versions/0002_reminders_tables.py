"""Reminder preferences, CSR metadata, the notification outbox and the analytics event log.

The pipeline (issue 5) fills the notification outbox, so the pipeline role may read, insert and
update it (and draw its ids); every other table is the reminders service's alone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from alembic import op

from shared.owners import PIPELINE_ROLE

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CHANNELS = "('email', 'sms', 'push')"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE reminders.reminder_preferences (
            preference_id      text PRIMARY KEY DEFAULT gen_random_uuid()::text,
            scope              text NOT NULL CHECK (scope IN ('customer', 'segment')),
            customer_id        text,
            segment            text,
            channel            text NOT NULL CHECK (channel IN {CHANNELS}),
            cadence_days       smallint NOT NULL CHECK (cadence_days BETWEEN 1 AND 365),
            quiet_hours_start  time,
            quiet_hours_end    time,
            timezone           text NOT NULL DEFAULT 'UTC',
            enabled            boolean NOT NULL DEFAULT true,
            version            integer NOT NULL DEFAULT 1 CHECK (version >= 1),
            created_at         timestamptz NOT NULL DEFAULT now(),
            updated_at         timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT reminder_preferences_one_target CHECK (
                (scope = 'customer' AND customer_id IS NOT NULL AND segment IS NULL)
                OR (scope = 'segment' AND segment IS NOT NULL AND customer_id IS NULL)
            ),
            CONSTRAINT reminder_preferences_quiet_hours_pair CHECK (
                (quiet_hours_start IS NULL) = (quiet_hours_end IS NULL)
            )
        )
        """
    )
    # One preference per target and channel; scope is part of the key so that a segment and a
    # customer id can never collide.
    op.execute(
        "CREATE UNIQUE INDEX reminder_preferences_target_channel ON"
        " reminders.reminder_preferences (scope, coalesce(customer_id, segment), channel)"
    )
    op.execute(
        "CREATE INDEX reminder_preferences_customer ON reminders.reminder_preferences"
        " (customer_id) WHERE customer_id IS NOT NULL"
    )
    op.execute(
        """
        CREATE TABLE reminders.csr_metadata (
            csr_id      text PRIMARY KEY,
            name        text NOT NULL,
            team        text NOT NULL,
            timezone    text NOT NULL,
            languages   text[] NOT NULL DEFAULT '{}',
            badges      text[] NOT NULL DEFAULT '{}',
            notes       text,
            active      boolean NOT NULL DEFAULT true,
            version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
            created_at  timestamptz NOT NULL DEFAULT now(),
            updated_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        f"""
        CREATE TABLE reminders.notification_outbox (
            id              bigserial PRIMARY KEY,
            customer_id     text NOT NULL,
            product_id      text NOT NULL,
            channel         text NOT NULL CHECK (channel IN {CHANNELS}),
            cadence_window  text NOT NULL,
            status          text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'sent', 'failed', 'suppressed')),
            attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            payload         jsonb NOT NULL DEFAULT '{{}}',
            created_at      timestamptz NOT NULL DEFAULT now(),
            sent_at         timestamptz,
            -- At most one reminder per customer, product and cadence window, however often
            -- the pipeline that proposes reminders runs.
            CONSTRAINT notification_outbox_once_per_window
                UNIQUE (customer_id, product_id, cadence_window)
        )
        """
    )
    op.execute(
        "CREATE INDEX notification_outbox_status ON reminders.notification_outbox"
        " (status, created_at)"
    )
    op.execute(
        """
        CREATE TABLE reminders.analytics_event_log (
            id           bigserial PRIMARY KEY,
            event_type   text NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_.]{0,63}$'),
            customer_id  text,
            actor_sub    text NOT NULL,
            actor_role   text NOT NULL,
            payload      jsonb NOT NULL DEFAULT '{}',
            occurred_at  timestamptz NOT NULL DEFAULT now(),
            received_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "CREATE INDEX analytics_event_log_customer ON reminders.analytics_event_log"
        " (customer_id, occurred_at) WHERE customer_id IS NOT NULL"
    )
    op.execute(
        "CREATE INDEX analytics_event_log_type ON reminders.analytics_event_log"
        " (event_type, occurred_at)"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON reminders.notification_outbox TO {PIPELINE_ROLE}")
    op.execute(
        f"GRANT USAGE, SELECT ON SEQUENCE reminders.notification_outbox_id_seq TO {PIPELINE_ROLE}"
    )


def downgrade() -> None:
    for table in (
        "analytics_event_log",
        "notification_outbox",
        "csr_metadata",
        "reminder_preferences",
    ):
        op.execute(f"DROP TABLE reminders.{table}")
