"""Bronze: move landing files into immutable, content-addressed objects with a manifest row.

Order of effects, chosen so that a crash anywhere can simply be retried: write the bronze object
(write-once), commit its manifest row, and only then delete the landing file. The admin change
outbox lands through the same `record_in_bronze` (see `flows.outbox`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from shared.objectstore import ObjectStore

logger = logging.getLogger(__name__)

LANDING_PREFIX = "landing"
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class LandedFile:
    """A bronze object and its manifest row."""

    bronze_file_id: int
    entity: str
    sha256: str
    bronze_key: str
    rows: int
    newly_landed: bool


def _record_ends(data: bytes) -> Iterator[int]:
    """Offsets just past each record's end (a line feed outside quotes, or the end of the data).

    A quote anywhere toggles quoting, as PostgreSQL's COPY reads CSV; no field is too long,
    unlike the csv module with its default field size limit (128 KiB)."""
    quoted = False
    start = 0
    while (newline := data.find(b"\n", start)) != -1:
        quoted ^= data.count(b'"', start, newline) % 2 == 1
        start = newline + 1
        if not quoted:
            yield start
    if start < len(data):
        yield len(data)


def _split_record(text: str) -> list[str]:
    """The fields of one CSV record (quotes removed, doubled quotes undone)."""
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    position = 0
    while position < len(text):
        char = text[position]
        if char == '"':
            if quoted and text.startswith('"', position + 1):
                current.append('"')
                position += 1
            else:
                quoted = not quoted
        elif char == "," and not quoted:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        position += 1
    return [*fields, "".join(current)]


def describe_csv(data: bytes) -> tuple[list[str], int]:
    """The first record's fields (the header, names trimmed) and the number of records after
    it, of a CSV payload of any field length."""
    data = data.removeprefix(BOM)
    ends = _record_ends(data)
    header_end = next(ends, 0)
    if not data[:header_end].strip():
        return [], sum(1 for _ in ends)
    first = data[:header_end].decode("utf-8", errors="replace").rstrip("\r\n")
    return [name.strip() for name in _split_record(first)], sum(1 for _ in ends)


def schema_fingerprint(columns: list[str]) -> str:
    """A stable hash of a file's column list (order matters: reordering is drift too)."""
    return hashlib.sha256("\x1f".join(columns).encode()).hexdigest()


def bronze_key_for(entity: str, sha256: str, landed_at: datetime, original_name: str) -> str:
    """Where an object of `entity` with this content lives in bronze."""
    extension = original_name.rsplit(".", 1)[-1] if "." in original_name else "bin"
    return f"bronze/{entity}/ingest_date={landed_at:%Y-%m-%d}/{sha256}.{extension}"


async def record_in_bronze(
    store: ObjectStore,
    connection: asyncpg.Connection,
    entity: str,
    original_name: str,
    data: bytes,
    described: tuple[list[str], int] | None = None,
) -> LandedFile:
    """Write `data` as a bronze object of `entity` and record its manifest row; the same content
    is recorded once. Run inside the caller's transaction when other effects must commit with
    the manifest row. `described`: `describe_csv(data)`, when the caller has it already."""
    sha256 = hashlib.sha256(data).hexdigest()
    existing = await connection.fetchrow(
        "SELECT bronze_file_id, bronze_path, rows FROM ops.bronze_files"
        " WHERE entity = $1 AND sha256 = $2",
        entity,
        sha256,
    )
    if existing is not None:
        return LandedFile(
            existing["bronze_file_id"],
            entity,
            sha256,
            existing["bronze_path"],
            existing["rows"],
            False,
        )
    landed_at = datetime.now(UTC)
    bronze_key = bronze_key_for(entity, sha256, landed_at, original_name)
    store.create_new(bronze_key, data)  # False means a crashed earlier attempt wrote it: same bytes
    columns, rows = described or describe_csv(data)
    bronze_file_id = await connection.fetchval(
        """
        INSERT INTO ops.bronze_files
            (entity, sha256, bytes, rows, original_name, bronze_path, schema_fingerprint, landed_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (entity, sha256) DO UPDATE SET entity = EXCLUDED.entity
        RETURNING bronze_file_id
        """,
        entity,
        sha256,
        len(data),
        rows,
        original_name,
        bronze_key,
        schema_fingerprint(columns),
        landed_at,
    )
    return LandedFile(bronze_file_id, entity, sha256, bronze_key, rows, True)


# Raises to refuse a file (given its entity folder and header) before it reaches bronze.
FileCheck = Callable[[str, list[str]], None]


async def land_file_in_bronze(
    store: ObjectStore,
    connection: asyncpg.Connection,
    landing_key: str,
    check: FileCheck | None = None,
) -> LandedFile:
    """Land one landing file in bronze and record it; the same content is recorded once. A file
    `check` refuses raises its error and stays in landing (for the caller to quarantine)."""
    _, entity, original_name = landing_key.split("/", 2)
    data = store.read_bytes(landing_key)
    described = describe_csv(data)
    if check is not None:
        check(entity, described[0])
    landed = await record_in_bronze(store, connection, entity, original_name, data, described)
    store.delete(landing_key)
    if landed.newly_landed:
        logger.info("%s -> %s (%d rows)", landing_key, landed.bronze_key, landed.rows)
    else:
        logger.info("%s: content already in bronze, landing copy removed", landing_key)
    return landed


def pending_landing_keys(store: ObjectStore) -> list[str]:
    """Landing files waiting to be landed, oldest name first."""
    return [key for key in store.list(LANDING_PREFIX) if key.count("/") == 2]
