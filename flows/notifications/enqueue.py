"""The notification hook: due reminder candidates become outbox messages, once per window."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import asyncpg

from shared.database import affected_rows

logger = logging.getLogger(__name__)


@cache
def _enqueue_sql() -> str:
    return (Path(__file__).parent / "enqueue_notifications.sql").read_text()


async def enqueue_notifications(connection: asyncpg.Connection) -> int:
    """Queue a reminder for each candidate in `reminders.reminder_candidates` whose cadence window
    has none yet (its top-ranked recommended product not tried in this window); returns how many
    outbox rows were added. Re-running within a window adds nothing."""
    added = affected_rows(await connection.execute(_enqueue_sql()))
    logger.info("notifications: %d reminder(s) queued", added)
    return added
