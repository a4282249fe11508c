"""Deliver queued reminders: claim, check opt-outs and quiet hours, deliver, record the outcome.

A dispatcher claims a batch of due messages with `FOR UPDATE SKIP LOCKED` and commits the claim
(status `sending` under a lease) before delivering, so concurrent dispatchers never pick the same
message. Every outcome is written with `WHERE id = $1 AND status = 'sending'`: a message is
marked sent once, even if a dispatcher whose lease ran out finishes late. A message whose
dispatcher died mid-delivery is picked up again when its lease ends (at-least-once delivery; the
webhook's Idempotency-Key lets the receiver drop the duplicate).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import asyncpg

from flows.notifications.adapters import NotificationAdapter, OutboundMessage
from flows.notifications.quiet_hours import quiet_hours_end

logger = logging.getLogger(__name__)

# Failed attempt n waits 5^(n-1) minutes (1, 5, 25, 125, ...), at most this long.
MAX_RETRY_DELAY = timedelta(hours=6)
ERROR_CHARS = 500


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 5, 25 minutes, ..."""
    return min(timedelta(minutes=5 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


@dataclass
class DispatchSummary:
    """What one dispatch did with the messages it claimed."""

    sent: int = 0
    deferred_quiet_hours: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    # Claimed, but another dispatcher settled the message first (our lease had run out).
    superseded: int = 0

    @property
    def claimed(self) -> int:
        """Messages claimed in all."""
        return (
            self.sent
            + self.deferred_quiet_hours
            + self.retried
            + self.failed
            + self.suppressed
            + self.superseded
        )

    def describe(self) -> str:
        """One line for the flow log."""
        line = (
            f"notifications: {self.sent} sent, {self.deferred_quiet_hours} deferred for quiet"
            f" hours, {self.retried} to retry, {self.failed} failed, {self.suppressed} suppressed"
        )
        if self.superseded:
            line += f", {self.superseded} settled by another dispatcher"
        return line


@cache
def _claim_sql() -> str:
    return (Path(__file__).parent / "claim_due_messages.sql").read_text()


def _payload(value: Any) -> dict[str, Any]:
    # asyncpg hands jsonb over as text unless a codec is set on the connection.
    decoded = json.loads(value) if isinstance(value, str) else value
    return dict(decoded or {})


def _suppression_reason(row: asyncpg.Record) -> str | None:
    if row["marketing_opt_in"] is False:
        return "customer opted out of marketing"
    if row["customer_opted_out"]:
        return "customer disabled every reminder preference"
    if row["preference_enabled"] is False:
        return f"{row['channel']} reminders disabled"
    return None


async def _settle(connection: asyncpg.Connection, query: str, *args: object) -> str | None:
    """Run an outcome update guarded by `status = 'sending'`; the outcome it returns (a field of
    `DispatchSummary`), or None when the message was no longer ours to settle."""
    outcome: str | None = await connection.fetchval(query, *args)
    return outcome


def _record(summary: DispatchSummary, outcome: str | None) -> None:
    field = outcome or "superseded"
    setattr(summary, field, getattr(summary, field) + 1)


async def _handle(
    connection: asyncpg.Connection,
    adapter: NotificationAdapter,
    row: asyncpg.Record,
    now: datetime,
    max_attempts: int,
    summary: DispatchSummary,
) -> None:
    message_id: int = row["id"]
    reason = _suppression_reason(row)
    if reason is not None:
        outcome = await _settle(
            connection,
            "UPDATE reminders.notification_outbox SET status = 'suppressed', last_error = $2"
            " WHERE id = $1 AND status = 'sending' RETURNING 'suppressed'",
            message_id,
            reason,
        )
        _record(summary, outcome)
        return
    quiet_until = quiet_hours_end(
        now, row["quiet_hours_start"], row["quiet_hours_end"], row["timezone"]
    )
    if quiet_until is not None:
        outcome = await _settle(
            connection,
            "UPDATE reminders.notification_outbox SET status = 'pending', next_attempt_at = $2"
            " WHERE id = $1 AND status = 'sending' RETURNING 'deferred_quiet_hours'",
            message_id,
            quiet_until,
        )
        _record(summary, outcome)
        return
    message = OutboundMessage(
        id=message_id,
        customer_id=row["customer_id"],
        product_id=row["product_id"],
        channel=row["channel"],
        cadence_window=row["cadence_window"],
        attempt=row["attempts"] + 1,
        payload=_payload(row["payload"]),
    )
    try:
        await adapter.deliver(message)
    except Exception as error:  # any adapter failure is a failed attempt, not a stopped batch
        detail = f"{type(error).__name__}: {error}"[:ERROR_CHARS]
        logger.warning("reminder %s, attempt %d: %s", message.id, message.attempt, detail)
        outcome = await _settle(
            connection,
            """
            UPDATE reminders.notification_outbox
            SET attempts = attempts + 1, last_error = $2,
                status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'pending' END,
                next_attempt_at = CASE WHEN attempts + 1 >= $3 THEN next_attempt_at ELSE $4 END
            WHERE id = $1 AND status = 'sending'
            RETURNING CASE status WHEN 'pending' THEN 'retried' ELSE 'failed' END
            """,
            message_id,
            detail,
            max_attempts,
            now + retry_delay(message.attempt),
        )
        _record(summary, outcome)
        return
    outcome = await _settle(
        connection,
        "UPDATE reminders.notification_outbox"
        " SET status = 'sent', sent_at = $2, attempts = attempts + 1, last_error = NULL"
        " WHERE id = $1 AND status = 'sending' RETURNING 'sent'",
        message_id,
        now,
    )
    _record(summary, outcome)


async def dispatch_notifications(
    connection: asyncpg.Connection,
    adapter: NotificationAdapter,
    *,
    now: datetime | None = None,
    batch_size: int,
    max_attempts: int,
    lease_seconds: float = 300.0,
) -> DispatchSummary:
    """Deliver every due outbox message through `adapter`, batch by batch, until none is due.

    `now` fixes the clock (tests); by default each step reads the real one. A message due inside
    its quiet hours goes back to pending until they end; a failed attempt is retried after
    `retry_delay` and marked failed after `max_attempts`; a message whose preference was disabled
    (or whose customer opted out) is suppressed. `connection` must not be inside a transaction:
    each claim commits before delivery starts.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("dispatch_notifications needs an aware `now`")
    if batch_size < 1 or max_attempts < 1 or lease_seconds <= 0:
        raise ValueError("batch_size, max_attempts and lease_seconds must be positive")

    def clock() -> datetime:
        return now if now is not None else datetime.now(UTC)

    summary = DispatchSummary()
    while True:
        claimed = await connection.fetch(_claim_sql(), clock(), batch_size, float(lease_seconds))
        for row in claimed:
            await _handle(connection, adapter, row, clock(), max_attempts, summary)
        # Everything settled above is due again only later, so a short batch means none is left.
        if len(claimed) < batch_size:
            break
    if summary.claimed:
        logger.info(summary.describe())
    return summary
