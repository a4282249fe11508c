"""The reminders schema's tables, each defined once as a SQLModel table model (the DDL lives in
the Alembic history; tests/services/test_table_definitions.py holds the two equal).

Rows are read and written through Core statements on the tables below (`core_table`), as in the
admin service: the generic repository works on whole rows with INSERT/UPDATE ... RETURNING and
never needs an identity map. `reminder_candidates`, a mart the pipeline builds and reads, has no
model here: the service reads none of it.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import BigInteger, Index, SmallInteger, Text, Time, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from shared.audit import AuditLogColumns, audit_log_indexes
from shared.crud import ChangeLog
from shared.tables import (
    RowMetadata,
    core_table,
    created_now,
    defaulted,
    schema_registry,
    timestamptz,
)


class RemindersTable(SQLModel, registry=schema_registry("reminders")):
    """Base of the reminders schema's table models: they share one `MetaData`."""


class ReminderPreference(RowMetadata, RemindersTable, table=True):
    """`reminders.reminder_preferences`: how often and where a customer or segment is reminded."""

    __tablename__ = "reminder_preferences"
    __table_args__ = (
        # One preference per target and channel; scope is part of the key so that a segment
        # and a customer id can never collide.
        Index(
            "reminder_preferences_target_channel",
            "scope",
            func.coalesce(text("customer_id"), text("segment")),
            "channel",
            unique=True,
        ),
        Index(
            "reminder_preferences_customer",
            "customer_id",
            postgresql_where=text("customer_id IS NOT NULL"),
        ),
    )

    # Drawn by the database, so that ids reveal nothing about other rows.
    preference_id: str = defaulted("(gen_random_uuid())::text", sa_type=Text, primary_key=True)
    scope: str = Field(sa_type=Text)
    customer_id: str | None = Field(sa_type=Text)
    segment: str | None = Field(sa_type=Text)
    channel: str = Field(sa_type=Text)
    cadence_days: int = Field(sa_type=SmallInteger)
    quiet_hours_start: time | None = Field(sa_type=Time)
    quiet_hours_end: time | None = Field(sa_type=Time)
    timezone: str = defaulted("'UTC'", sa_type=Text)
    enabled: bool = defaulted("true")


class CsrMetadata(RowMetadata, RemindersTable, table=True):
    """`reminders.csr_metadata`: what the console shows about each customer service rep."""

    __tablename__ = "csr_metadata"

    csr_id: str = Field(sa_type=Text, primary_key=True)
    name: str = Field(sa_type=Text)
    team: str = Field(sa_type=Text)
    timezone: str = Field(sa_type=Text)
    languages: list[str] = defaulted("'{}'", sa_type=ARRAY(Text))
    badges: list[str] = defaulted("'{}'", sa_type=ARRAY(Text))
    notes: str | None = Field(sa_type=Text)
    active: bool = defaulted("true")


class Notification(RemindersTable, table=True):
    """`reminders.notification_outbox`: reminders proposed by the pipeline, and their delivery."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        # At most one reminder per customer, product and cadence window.
        UniqueConstraint(
            "customer_id",
            "product_id",
            "cadence_window",
            name="notification_outbox_once_per_window",
        ),
        Index("notification_outbox_status", "status", "created_at"),
        Index(
            "notification_outbox_due",
            "next_attempt_at",
            "id",
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
    )

    id: int = Field(sa_type=BigInteger, primary_key=True)
    customer_id: str = Field(sa_type=Text)
    product_id: str = Field(sa_type=Text)
    channel: str = Field(sa_type=Text)
    cadence_window: str = Field(sa_type=Text)
    status: str = defaulted("'pending'", sa_type=Text)
    attempts: int = defaulted("0")
    payload: dict[str, Any] = defaulted("'{}'", sa_type=JSONB)
    created_at: datetime = created_now()
    sent_at: datetime | None = timestamptz()
    next_attempt_at: datetime = created_now()
    last_error: str | None = Field(sa_type=Text)
    claimed_at: datetime | None = timestamptz()


class AnalyticsEvent(RemindersTable, table=True):
    """`reminders.analytics_event_log`: reported analytics events, append-only."""

    __tablename__ = "analytics_event_log"
    __table_args__ = (
        Index(
            "analytics_event_log_customer",
            "customer_id",
            "occurred_at",
            postgresql_where=text("customer_id IS NOT NULL"),
        ),
        Index("analytics_event_log_type", "event_type", "occurred_at"),
    )

    id: int = Field(sa_type=BigInteger, primary_key=True)
    event_type: str = Field(sa_type=Text)
    customer_id: str | None = Field(sa_type=Text)
    actor_sub: str = Field(sa_type=Text)
    actor_role: str = Field(sa_type=Text)
    payload: dict[str, Any] = defaulted("'{}'", sa_type=JSONB)
    occurred_at: datetime = created_now()
    received_at: datetime = created_now()


class AuditEntry(AuditLogColumns, RemindersTable, table=True):
    """`reminders.audit_log`: who changed which configuration or CSR, append-only."""

    __tablename__ = "audit_log"
    __table_args__ = audit_log_indexes()


metadata = RemindersTable.metadata
reminder_preferences = core_table(ReminderPreference)
csr_metadata = core_table(CsrMetadata)
notification_outbox = core_table(Notification)
analytics_event_log = core_table(AnalyticsEvent)
audit_log = core_table(AuditEntry)

# Configuration and CSR metadata writes are audited; the reminders service keeps no outbox of
# its edits (the pipeline reads the preferences table itself).
CHANGE_LOG = ChangeLog(audit=audit_log)
