"""The reminders tables as SQLAlchemy Core sees them (DDL lives in the Alembic history).

Core tables rather than ORM classes, as in the admin service: the generic repository reads and
writes whole rows with INSERT/UPDATE ... RETURNING and never needs an identity map.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    FetchedValue,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    Time,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from shared.audit import audit_table
from shared.crud import ChangeLog

metadata = MetaData(schema="reminders")


def _row_meta() -> list[Column[object]]:
    return [
        Column("version", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    ]


reminder_preferences = Table(
    "reminder_preferences",
    metadata,
    # Drawn by the database (gen_random_uuid), so that ids reveal nothing about other rows.
    Column("preference_id", Text, primary_key=True, server_default=FetchedValue()),
    Column("scope", Text, nullable=False),
    Column("customer_id", Text),
    Column("segment", Text),
    Column("channel", Text, nullable=False),
    Column("cadence_days", SmallInteger, nullable=False),
    Column("quiet_hours_start", Time),
    Column("quiet_hours_end", Time),
    Column("timezone", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    *_row_meta(),
)

csr_metadata = Table(
    "csr_metadata",
    metadata,
    Column("csr_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("team", Text, nullable=False),
    Column("timezone", Text, nullable=False),
    Column("languages", ARRAY(Text), nullable=False),
    Column("badges", ARRAY(Text), nullable=False),
    Column("notes", Text),
    Column("active", Boolean, nullable=False),
    *_row_meta(),
)

notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("product_id", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("cadence_window", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
)

analytics_event_log = Table(
    "analytics_event_log",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("event_type", Text, nullable=False),
    Column("customer_id", Text),
    Column("actor_sub", Text, nullable=False),
    Column("actor_role", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

audit_log = audit_table(metadata)

# Configuration and CSR metadata writes are audited; the reminders service keeps no outbox of
# its edits (the pipeline reads the preferences table itself).
CHANGE_LOG = ChangeLog(audit=audit_log)
