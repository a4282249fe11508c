"""Reminder candidates (a mart) and the notification outbox's delivery columns.

`reminders.reminder_candidates` is built by the pipeline role from the loyalty customer summary,
the reminder preferences and silver; the pipeline therefore also reads the preferences. The
outbox gains what a dispatcher needs to deliver each message exactly once: a lease (`claimed_at`
while `status = 'sending'`), a retry time and the last error.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from alembic import op

from shared.owners import PIPELINE_ROLE

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CHANNELS = "('email', 'sms', 'push')"
CADENCE_SOURCES = "('customer_preference', 'segment_preference', 'repurchase_interval', 'default')"
OUTBOX_STATUSES = "('pending', 'sending', 'sent', 'failed', 'suppressed')"
CANDIDATE_COMMENTS: dict[str | None, str] = {
    None: "Customers due a reminder as of the data date (gold_params.as_of_date), one row each:"
    " the cadence and preference that apply, and the reminder window they are in",
    "segment": "The customer's segment in loyalty.mart_customer_summary",
    "channel": "Where the reminder goes: the applying preference's channel, else the customer's"
    " preferred channel, else email",
    "cadence_days": "Days between reminders (and from the last order to the first one)",
    "cadence_source": "Where cadence_days comes from: customer_preference, segment_preference,"
    " repurchase_interval (the customer's average gap between orders, clamped to 7..90 days) or"
    " default (30 days)",
    "preference_id": "The reminders.reminder_preferences row that applies, if any",
    "last_order_at": "The customer's newest (not deleted) order",
    "due_date": "UTC date of the last order + cadence_days: the first day a reminder is due",
    "days_overdue": "as_of_date - due_date (0 on the due date itself)",
    "window_start": "First day of the cadence window as_of_date falls in: due_date plus a whole"
    " number of cadences",
    "cadence_window": "Label of that window, '<window_start>/<cadence_days>d': the outbox holds at"
    " most one reminder per customer, product and label",
    "timezone": "IANA zone of the quiet hours: the applying preference's, else the customer's,"
    " else UTC",
    "quiet_hours_start": "Local start of the applying preference's quiet hours (NULL: none)",
    "quiet_hours_end": "Local end of the quiet hours; before the start when they cross midnight",
    "as_of_date": "The data date the mart was built for (newest order in silver, UTC)",
}
OUTBOX_COMMENTS: dict[str | None, str] = {
    "next_attempt_at": "When a dispatcher may next pick the message up: while pending, its first"
    " or retry time (or the end of the quiet hours it fell in); while sending, when the"
    " claim's lease runs out",
    "claimed_at": "When a dispatcher last claimed the message (status sending: its lease began)",
    "last_error": "Why the last delivery attempt failed, or why the message was suppressed"
    " (NULL after a success)",
}


def _comment(table: str, comments: dict[str | None, str]) -> None:
    for column, text in comments.items():
        quoted = "'" + text.replace("'", "''") + "'"
        if column is None:
            op.execute(f"COMMENT ON TABLE {table} IS {quoted}")
        else:
            op.execute(f"COMMENT ON COLUMN {table}.{column} IS {quoted}")


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE reminders.reminder_candidates (
            customer_id        text PRIMARY KEY,
            segment            text,
            channel            text NOT NULL CHECK (channel IN {CHANNELS}),
            cadence_days       smallint NOT NULL CHECK (cadence_days BETWEEN 1 AND 365),
            cadence_source     text NOT NULL CHECK (cadence_source IN {CADENCE_SOURCES}),
            preference_id      text,
            last_order_at      timestamptz NOT NULL,
            due_date           date NOT NULL,
            days_overdue       integer NOT NULL CHECK (days_overdue >= 0),
            window_start       date NOT NULL,
            cadence_window     text NOT NULL,
            timezone           text NOT NULL,
            quiet_hours_start  time,
            quiet_hours_end    time,
            as_of_date         date NOT NULL,
            refreshed_at       timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    _comment("reminders.reminder_candidates", CANDIDATE_COMMENTS)
    op.execute(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON reminders.reminder_candidates TO {PIPELINE_ROLE}"
    )
    # The candidates mart and the dispatcher read cadences, quiet hours and opt-outs.
    op.execute(f"GRANT SELECT ON reminders.reminder_preferences TO {PIPELINE_ROLE}")

    op.execute(
        """
        ALTER TABLE reminders.notification_outbox
            ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
            ADD COLUMN last_error text,
            ADD COLUMN claimed_at timestamptz
        """
    )
    op.execute(
        "ALTER TABLE reminders.notification_outbox DROP CONSTRAINT notification_outbox_status_check"
    )
    op.execute(
        "ALTER TABLE reminders.notification_outbox ADD CONSTRAINT notification_outbox_status_check"
        f" CHECK (status IN {OUTBOX_STATUSES})"
    )
    op.execute(
        "ALTER TABLE reminders.notification_outbox ADD CONSTRAINT notification_outbox_lease"
        " CHECK (status <> 'sending' OR claimed_at IS NOT NULL)"
    )
    # The dispatcher's claim: messages pending or sending whose next_attempt_at has passed,
    # oldest first. Sent, failed and suppressed messages (the bulk, over time) stay out of it.
    op.execute(
        "CREATE INDEX notification_outbox_due ON reminders.notification_outbox"
        " (next_attempt_at, id) WHERE status IN ('pending', 'sending')"
    )
    _comment("reminders.notification_outbox", OUTBOX_COMMENTS)


def downgrade() -> None:
    op.execute("DROP INDEX reminders.notification_outbox_due")
    op.execute(
        "ALTER TABLE reminders.notification_outbox DROP CONSTRAINT notification_outbox_lease"
    )
    # A message caught mid-delivery goes back to pending: 0002 knows no 'sending'.
    op.execute(
        "UPDATE reminders.notification_outbox SET status = 'pending' WHERE status = 'sending'"
    )
    op.execute(
        "ALTER TABLE reminders.notification_outbox DROP CONSTRAINT notification_outbox_status_check"
    )
    op.execute(
        "ALTER TABLE reminders.notification_outbox ADD CONSTRAINT notification_outbox_status_check"
        " CHECK (status IN ('pending', 'sent', 'failed', 'suppressed'))"
    )
    op.execute(
        """
        ALTER TABLE reminders.notification_outbox
            DROP COLUMN next_attempt_at,
            DROP COLUMN last_error,
            DROP COLUMN claimed_at
        """
    )
    op.execute(f"REVOKE SELECT ON reminders.reminder_preferences FROM {PIPELINE_ROLE}")  # nosec B608 # role name from shared.owners
    op.execute("DROP TABLE reminders.reminder_candidates")
