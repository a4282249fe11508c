"""Staging a bronze file as text: COPY when PostgreSQL can read it, else record by record.

COPY takes a file whose bytes are all UTF-8 text. A file it refuses (bytes that are not UTF-8, a
NUL byte, which PostgreSQL text cannot hold, or CSV COPY cannot parse) is read by Python's csv
module instead, and each record that cannot be staged as text is refused with its rule, so one
bad record never fails its file: BAD_ENCODING for bytes that are not UTF-8 or NUL, and
MALFORMED_RECORD for a record of the wrong number of fields. No other encoding is guessed:
records of a file in Latin-1 (say) that are plain ASCII read the same in UTF-8 and are staged;
the others are refused. While COPY reads, the bytes are scanned for control characters, so the
per-field search for them (a rule in `checks`) runs only for files that hold some.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass
from typing import IO, Any
from uuid import UUID

import asyncpg

from flows.bronze import BOM
from flows.silver.checks import FIELD_TOO_LONG, kept_text
from shared.database import affected_rows
from shared.objectstore import ObjectStore

logger = logging.getLogger(__name__)

MALFORMED_RECORD = "MALFORMED_RECORD"
BAD_ENCODING = "BAD_ENCODING"
# Rejects whose raw row is not the record as it was (its fields without the header; bytes
# shown as \xNN escapes; a value cut to size): checking the raw row again would judge other
# text, so a rejects replay leaves them. A corrected file, or a replay of the bronze file after
# a rule change (ECOM_MAX_FIELD_BYTES), resolves them.
RULES_NOT_REPLAYABLE = (MALFORMED_RECORD, BAD_ENCODING, FIELD_TOO_LONG)
# Python's csv module refuses fields over 128 KiB by default; the size rule decides instead.
CSV_FIELD_LIMIT = 2**31 - 1
# The control characters of `checks.CONTROL_CHARACTERS` as UTF-8 bytes (NUL apart: COPY
# refuses it); a C1 character is two bytes, so a chunk is scanned with its predecessor's last.
_CONTROL_BYTES = re.compile(rb"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")
_CONTROL_TEXT = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What decoding with `surrogateescape` makes of bytes that are not UTF-8, and NUL.
_NOT_TEXT = re.compile("[\x00\udc80-\udcff]")


@dataclass(frozen=True)
class StagedFile:
    """What staging a file found: its records, and whether any text holds control characters."""

    records: int
    control_characters: bool


class ControlCharacterScan:
    """A binary stream that notes, as it is read, whether it holds a control character."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.found = False
        self._last = b""

    def read(self, size: int = -1) -> bytes:
        """The next bytes of the stream, scanned."""
        chunk = self.stream.read(size)
        if chunk and not self.found:
            self.found = _CONTROL_BYTES.search(self._last + chunk) is not None
            self._last = chunk[-1:]
        return chunk


async def copy_bronze(
    connection: asyncpg.Connection, store: ObjectStore, key: str, width: int
) -> StagedFile:
    """COPY the file into `stage_raw`; a file COPY cannot read is staged record by record."""
    columns = [f"c{index}" for index in range(width)]
    try:
        async with connection.transaction():  # a savepoint: a failed COPY leaves stage_raw empty
            with store.open_read(key) as stream:
                scan = ControlCharacterScan(stream)
                status = await connection.copy_to_table(
                    "stage_raw", source=scan, columns=columns, format="csv", header=True
                )
        return StagedFile(affected_rows(status), scan.found)
    except (asyncpg.DataError, asyncpg.BadCopyFileFormatError, UnicodeDecodeError) as error:
        logger.warning("%s: COPY refused the file (%s); staging record by record", key, error)
    return await _stage_records(connection, store.read_bytes(key), width)


def _not_text(record: list[str]) -> str | None:
    """Why a record cannot be staged as text, or None."""
    for number, field in enumerate(record, start=1):
        found = _NOT_TEXT.search(field)
        if found is None:
            continue
        character = found.group()
        what = (
            "a NUL byte"
            if character == "\x00"
            else f"byte 0x{ord(character) - 0xDC00:02X}, which is not UTF-8"
        )
        return f"field {number} holds {what}; send the file as UTF-8 text"
    return None


def shown_as_text(field: str) -> str:
    """A field with its undecodable bytes and NULs written as \\xNN escapes."""
    escaped = field.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return escaped.replace("\x00", "\\x00")


async def _stage_records(connection: asyncpg.Connection, data: bytes, width: int) -> StagedFile:
    """Stage a file Python's csv module reads; records that cannot be staged as text, or have
    the wrong width, go to `stage_refused` with their rule."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    text = data.removeprefix(BOM).decode("utf-8", errors="surrogateescape")
    records = csv.reader(io.StringIO(text, newline=""))
    next(records, None)
    good: list[tuple[Any, ...]] = []
    refused: list[tuple[int, str, str, list[str]]] = []
    for line, record in enumerate(records, start=2):
        if (problem := _not_text(record)) is not None:
            refused.append((line, BAD_ENCODING, problem, [shown_as_text(f) for f in record]))
        elif len(record) != width:
            message = f"record has {len(record)} fields, the header has {width}"
            refused.append((line, MALFORMED_RECORD, message, record))
        else:
            good.append((line, *record))
    columns = ["source_line", *(f"c{index}" for index in range(width))]
    await connection.copy_records_to_table("stage_raw", records=good, columns=columns)
    await connection.copy_records_to_table("stage_refused", records=refused)
    # The whole text, refused records too: the flag only decides whether the rule is looked for.
    return StagedFile(len(good) + len(refused), _CONTROL_TEXT.search(text) is not None)


async def record_refused(
    connection: asyncpg.Connection,
    entity: str,
    bronze_file_id: int,
    run_id: UUID,
    header: list[str],
    max_field_bytes: int,
) -> int:
    """Records refused while staging become rejects: keyed by the header when they have its
    width, else as their list of fields."""
    kept = kept_text("f.field", max_field_bytes)
    status = await connection.execute(
        f"""
        INSERT INTO silver.rejects
            (entity, bronze_file_id, line_number, raw_row, rule, message, run_id)
        SELECT $1, $2, r.source_line,
            CASE WHEN cardinality(r.kept) = cardinality($4::text[])
                THEN jsonb_object($4::text[], r.kept)
                ELSE jsonb_build_object('fields', to_jsonb(r.kept)) END,
            r.rule, r.message, $3
        FROM (
            SELECT s.source_line, s.rule, s.message, ARRAY(
                SELECT {kept} FROM unnest(s.fields) WITH ORDINALITY AS f (field, n) ORDER BY n
            ) AS kept
            FROM stage_refused s
        ) r
        ON CONFLICT (bronze_file_id, line_number) DO UPDATE SET raw_row = EXCLUDED.raw_row,
            rule = EXCLUDED.rule, message = EXCLUDED.message, run_id = EXCLUDED.run_id,
            rejected_at = now(), resolved_at = NULL, resolved_run_id = NULL
        """,
        entity,
        bronze_file_id,
        run_id,
        header,
    )
    return affected_rows(status)
