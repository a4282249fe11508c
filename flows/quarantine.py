"""Quarantine: a file a run cannot land or load is recorded with its reason and moved out of the
way of later runs, and the run goes on with the other files.

A landing file moves to `quarantine/<entity>/<sha256>/<name>` in the lake, in crash-safe order:
copy it there, commit its `ops.quarantined_files` row, then remove it from landing (a crash
before the commit leaves it in landing for the next run; after it, the row is found again). A
bronze file stays where it is (bronze is write-once): its open row keeps it out of loads and
replays. Operators list, retry and discard quarantined files (`ecom pipeline quarantine`); a row
is never deleted, so every record of every file stays accounted for in the ledger or here.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg

from flows.bronze import describe_csv
from flows.silver import BronzeFile
from shared.objectstore import ObjectStore

logger = logging.getLogger(__name__)

QUARANTINE_PREFIX = "quarantine"
# Connection loss and I/O hiccups say nothing about a file: they are retried (Prefect) and, if
# they persist, fail the run instead of quarantining every file it touches.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
)
NEXT_STEP = (
    "`ecom pipeline quarantine` shows why; fix the file or the rule, then "
    "`ecom pipeline quarantine retry ID` (or `ecom pipeline quarantine discard ID --reason TEXT`)"
)
MAX_REASON_CHARS = 2000


class Stage(StrEnum):
    """Where a file was stopped."""

    LANDING = "landing"
    LOAD = "load"
    REPLAY = "replay"


class QuarantineError(RuntimeError):
    """An operator command that does not fit the quarantined file's state."""


def is_file_fault(error: BaseException) -> bool:
    """Whether `error` may be the file's fault (anything but a transient error): such a file is
    quarantined; a transient error fails the run."""
    return isinstance(error, Exception) and not isinstance(error, TRANSIENT_ERRORS)


def readable_reason(error: BaseException) -> str:
    """The error's message, bounded, for the record and the run's summary."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= MAX_REASON_CHARS else text[:MAX_REASON_CHARS] + "..."


@dataclass(frozen=True)
class QuarantinedFile:
    """One `ops.quarantined_files` row."""

    quarantine_id: int
    entity: str
    stage: Stage
    source_key: str
    quarantine_key: str | None
    bronze_file_id: int | None
    rows: int
    error_class: str
    reason: str
    quarantined_at: datetime
    status: str = "quarantined"
    resolved_by: str | None = None
    resolution_note: str | None = None

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> QuarantinedFile:
        """The file of an `ops.quarantined_files` row."""
        return cls(
            row["quarantine_id"],
            row["entity"],
            Stage(row["stage"]),
            row["source_key"],
            row["quarantine_key"],
            row["bronze_file_id"],
            row["rows"],
            row["error_class"],
            row["reason"],
            row["quarantined_at"],
            row["status"],
            row["resolved_by"],
            row["resolution_note"],
        )

    @property
    def label(self) -> str:
        """`#id file (stage: error class)`, for one-line summaries."""
        return f"#{self.quarantine_id} {self.source_key} ({self.stage}: {self.error_class})"

    def as_json(self) -> dict[str, Any]:
        """The fields a run's record keeps about the file."""
        return {
            "quarantine_id": self.quarantine_id,
            "entity": self.entity,
            "stage": self.stage.value,
            "file": self.source_key,
            "bronze_file_id": self.bronze_file_id,
            "rows": self.rows,
            "error_class": self.error_class,
            "reason": self.reason,
        }


def quarantine_key_for(entity: str, sha256: str, name: str) -> str:
    """Where a refused landing file waits: by content, so a repeated attempt finds the same key."""
    return f"{QUARANTINE_PREFIX}/{entity}/{sha256}/{name}"


async def quarantine_landing_file(
    store: ObjectStore,
    connection: asyncpg.Connection,
    landing_key: str,
    error: BaseException,
    run_id: uuid.UUID,
) -> QuarantinedFile:
    """Move a landing file that could not be landed into quarantine/ with its record."""
    _, entity, name = landing_key.split("/", 2)
    data = store.read_bytes(landing_key)
    sha256 = hashlib.sha256(data).hexdigest()
    target = quarantine_key_for(entity, sha256, name)
    store.write_atomic(target, data)
    row = await connection.fetchrow(
        """
        INSERT INTO ops.quarantined_files (entity, stage, source_key, quarantine_key, sha256,
            bytes, rows, error_class, reason, run_id)
        VALUES ($1, 'landing', $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (quarantine_key) WHERE status = 'quarantined'
            DO UPDATE SET reason = EXCLUDED.reason
        RETURNING *
        """,
        entity,
        landing_key,
        target,
        sha256,
        len(data),
        describe_csv(data)[1],
        type(error).__name__,
        readable_reason(error),
        run_id,
    )
    store.delete(landing_key)
    quarantined = QuarantinedFile.from_record(row)
    logger.warning(
        "quarantined %s as #%d (moved to %s): %s: %s",
        landing_key,
        quarantined.quarantine_id,
        target,
        quarantined.error_class,
        quarantined.reason,
    )
    return quarantined


async def quarantine_bronze_file(
    connection: asyncpg.Connection,
    file: BronzeFile,
    error: BaseException,
    run_id: uuid.UUID,
    stage: Stage,
) -> QuarantinedFile:
    """Record a bronze file that could not be loaded; its open record keeps it out of loads and
    replays until it is retried."""
    row = await connection.fetchrow(
        """
        INSERT INTO ops.quarantined_files (entity, stage, source_key, bronze_file_id, sha256,
            bytes, rows, error_class, reason, run_id)
        SELECT entity, $2, bronze_path, bronze_file_id, sha256, bytes, rows, $3, $4, $5
        FROM ops.bronze_files WHERE bronze_file_id = $1
        ON CONFLICT (bronze_file_id) WHERE status = 'quarantined'
            DO UPDATE SET reason = EXCLUDED.reason
        RETURNING *
        """,
        file.bronze_file_id,
        stage.value,
        type(error).__name__,
        readable_reason(error),
        run_id,
    )
    quarantined = QuarantinedFile.from_record(row)
    logger.warning(
        "quarantined %s file %d (%s) as #%d: %s: %s",
        file.entity,
        file.bronze_file_id,
        file.bronze_path,
        quarantined.quarantine_id,
        quarantined.error_class,
        quarantined.reason,
    )
    return quarantined


async def quarantined_files(
    connection: asyncpg.Connection, *, include_resolved: bool = False
) -> list[QuarantinedFile]:
    """The files in quarantine (with `include_resolved`, also those retried or discarded)."""
    rows = await connection.fetch(
        "SELECT * FROM ops.quarantined_files WHERE $1 OR status = 'quarantined'"
        " ORDER BY quarantine_id",
        include_resolved,
    )
    return [QuarantinedFile.from_record(row) for row in rows]


async def _open_file(connection: asyncpg.Connection, quarantine_id: int) -> QuarantinedFile:
    """The quarantined file `quarantine_id`, locked until the transaction ends."""
    row = await connection.fetchrow(
        "SELECT * FROM ops.quarantined_files WHERE quarantine_id = $1 FOR UPDATE", quarantine_id
    )
    if row is None:
        raise QuarantineError(f"no quarantined file #{quarantine_id}")
    if row["status"] != "quarantined":
        raise QuarantineError(
            f"#{quarantine_id} was already {row['status']} by {row['resolved_by']}"
            f" at {row['resolved_at']:%Y-%m-%d %H:%M:%S %Z}"
        )
    return QuarantinedFile.from_record(row)


async def _resolve(
    connection: asyncpg.Connection, quarantine_id: int, status: str, actor: str, note: str
) -> QuarantinedFile:
    row = await connection.fetchrow(
        """
        UPDATE ops.quarantined_files SET status = $2, resolved_at = now(), resolved_by = $3,
            resolution_note = $4
        WHERE quarantine_id = $1 RETURNING *
        """,
        quarantine_id,
        status,
        actor,
        note,
    )
    return QuarantinedFile.from_record(row)


def _free_landing_key(store: ObjectStore, held: QuarantinedFile) -> str:
    """The file's landing key, or a retry name beside it when a new file took that name."""
    if not store.exists(held.source_key):
        return held.source_key
    folder, name = held.source_key.rsplit("/", 1)
    return f"{folder}/retry-{held.quarantine_id}-{name}"


async def retry_quarantined(
    connection: asyncpg.Connection, store: ObjectStore, quarantine_id: int, actor: str
) -> QuarantinedFile:
    """Put a quarantined file back: a landing file (as it now lies in quarantine/, corrected or
    not) into landing, a bronze file into the next run's loads."""
    async with connection.transaction():
        held = await _open_file(connection, quarantine_id)
        if held.quarantine_key is None:
            note = "back in the loads of the next run (and of replays)"
        else:
            target = _free_landing_key(store, held)
            store.copy(held.quarantine_key, target)  # before the commit: a crash keeps the row
            note = f"put back as {target}"
        retried = await _resolve(connection, quarantine_id, "retried", actor, note)
    if held.quarantine_key is not None:
        store.delete(held.quarantine_key)
    logger.info("quarantined file #%d retried by %s: %s", quarantine_id, actor, note)
    return retried


async def discard_quarantined(
    connection: asyncpg.Connection,
    store: ObjectStore,
    quarantine_id: int,
    actor: str,
    reason: str,
) -> QuarantinedFile:
    """Drop a quarantined file for good, recording who did it and why: a landing file is deleted
    from quarantine/ after the record commits; a bronze file stays in bronze, never loaded."""
    if not reason.strip():
        raise QuarantineError("say why the file is discarded (--reason)")
    async with connection.transaction():
        held = await _open_file(connection, quarantine_id)
        kept = "" if held.quarantine_key else " (the bronze object is kept; no run loads it)"
        discarded = await _resolve(connection, quarantine_id, "discarded", actor, reason + kept)
    if held.quarantine_key is not None:
        store.delete(held.quarantine_key)
    logger.warning("quarantined file #%d discarded by %s: %s", quarantine_id, actor, reason)
    return discarded


def quarantine_summary(files: Sequence[QuarantinedFile]) -> str:
    """One line naming every quarantined file and the next step; empty without files."""
    if not files:
        return ""
    names = ", ".join(file.label for file in files)
    return f"quarantined {len(files)} file(s): {names}; next: {NEXT_STEP}"
