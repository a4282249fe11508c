"""Land the admin service's change outbox in bronze, like any other source.

Every back-office write appends an event to `admin.change_outbox`. A run reads the events in id
order, writes them as one CSV object of entity `change_outbox` (write-once, content-addressed),
then records the manifest row and deletes exactly those events in one transaction. A crash
before that commit leaves the events in the outbox, and the retry renders the same rows into the
same bytes (the object write finds its object already there); a crash after it leaves them in
bronze only. Either way each event reaches silver once.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence

import asyncpg

from flows.bronze import LandedFile, record_in_bronze
from shared.database import affected_rows
from shared.objectstore import ObjectStore

logger = logging.getLogger(__name__)

CHANGE_OUTBOX = "change_outbox"
# The bronze file's columns; `payload` is the event's JSON text.
OUTBOX_COLUMNS = ("id", "entity", "entity_id", "operation", "payload", "updated_at", "created_at")
# Events per bronze file: bounds a run's memory after a long pause of the pipeline.
OUTBOX_BATCH_ROWS = 50_000


def render_outbox_csv(events: Sequence[asyncpg.Record]) -> bytes:
    """Outbox events as CSV bytes with a header: the same events always give the same bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(OUTBOX_COLUMNS)
    for event in events:
        writer.writerow(
            (
                event["id"],
                event["entity"],
                event["entity_id"],
                event["operation"],
                event["payload"],  # jsonb's own text form: canonical key order
                event["updated_at"].isoformat(),
                event["created_at"].isoformat(),
            )
        )
    return buffer.getvalue().encode("utf-8")


async def land_outbox_batch(
    store: ObjectStore, connection: asyncpg.Connection, max_rows: int = OUTBOX_BATCH_ROWS
) -> LandedFile | None:
    """Land the oldest outbox events (at most `max_rows`) as one bronze file and delete them from
    the outbox in the transaction that records the file; None when the outbox is empty."""
    async with connection.transaction():
        events = await connection.fetch(
            """
            SELECT id, entity, entity_id, operation, payload::text AS payload, updated_at,
                created_at
            FROM admin.change_outbox ORDER BY id LIMIT $1
            """,
            max_rows,
        )
        if not events:
            return None
        ids = [event["id"] for event in events]
        original_name = f"{CHANGE_OUTBOX}-{ids[0]}-{ids[-1]}.csv"
        landed = await record_in_bronze(
            store, connection, CHANGE_OUTBOX, original_name, render_outbox_csv(events)
        )
        deleted = await connection.execute(
            "DELETE FROM admin.change_outbox WHERE id = ANY($1::bigint[])", ids
        )
        if affected_rows(deleted) != len(ids):
            # Only the pipeline trims the outbox, and one run at a time: someone else did.
            raise RuntimeError(
                f"outbox events {ids[0]}..{ids[-1]} changed while being landed; nothing committed"
            )
    logger.info(
        "%d outbox event(s) %s -> %s%s",
        len(ids),
        original_name,
        landed.bronze_key,
        "" if landed.newly_landed else " (content already in bronze)",
    )
    return landed


async def land_change_outbox(
    store: ObjectStore, connection: asyncpg.Connection, batch_rows: int = OUTBOX_BATCH_ROWS
) -> list[LandedFile]:
    """Land every event in the outbox now, `batch_rows` events per bronze file."""
    landed: list[LandedFile] = []
    while (file := await land_outbox_batch(store, connection, batch_rows)) is not None:
        landed.append(file)
        if file.rows < batch_rows:
            break  # the outbox was drained; events written since wait for the next run
    return landed
