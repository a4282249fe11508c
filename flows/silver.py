"""Silver: stream a bronze file into PostgreSQL with COPY and merge it set-based in SQL.

Each file is loaded in one transaction together with its ledger row, so a crash leaves either
the whole file applied and accounted for, or nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from uuid import UUID

import asyncpg

from flows.bronze import BOM
from shared.objectstore import ObjectStore

SQL_DIR = Path(__file__).parent / "sql"

# Columns of the orders CSV that silver understands; anything else is kept in `extras`.
ORDER_SOURCE_COLUMNS = (
    "order_id",
    "customer_id",
    "order_date",
    "status",
    "channel",
    "region",
    "currency",
    "total_amount",
    "updated_at",
)


class LedgerImbalanceError(RuntimeError):
    """Rows read differ from the rows accounted for: something would be lost."""


@cache
def load_sql(name: str) -> str:
    """The text of `flows/sql/<name>.sql`."""
    return (SQL_DIR / f"{name}.sql").read_text()


@dataclass(frozen=True)
class FileOutcome:
    """How every row of one bronze file ended."""

    bronze_file_id: int
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    stale: int
    rejected: int

    @property
    def accounted(self) -> int:
        """Rows with an outcome; equals rows_read when nothing was lost."""
        return self.inserted + self.updated + self.unchanged + self.stale + self.rejected


def _staging_insert(header: list[str]) -> tuple[str, list[str]]:
    """SQL moving `stage_raw` (c0..cN) into `stage_orders`, and its bound header names."""
    position = {name: index for index, name in enumerate(header)}
    known = [
        f"c{position[column]}" if column in position else "NULL" for column in ORDER_SOURCE_COLUMNS
    ]
    names: list[str] = []

    def pairs(indexes: list[int]) -> str:
        parts = []
        for index in indexes:
            names.append(header[index])
            parts.append(f"${len(names)}::text, c{index}")
        return ", ".join(parts)

    extra_indexes = [i for i, name in enumerate(header) if name not in ORDER_SOURCE_COLUMNS]
    extras = pairs(extra_indexes)
    raw = pairs(list(range(len(header))))
    sql = (
        f"INSERT INTO stage_orders (line_number, {', '.join(ORDER_SOURCE_COLUMNS)}, extras, raw) "
        f"SELECT line_number, {', '.join(known)}, "
        f"jsonb_build_object({extras}), jsonb_build_object({raw}) FROM stage_raw"
    )
    return sql, names


async def stage_orders_file(connection: asyncpg.Connection, data: bytes) -> int:
    """COPY a CSV payload into the transaction's `stage_orders` table; returns rows staged."""
    payload = data.removeprefix(BOM)
    first_record = next(csv.reader(io.StringIO(payload.decode("utf-8"), newline="")), [])
    header = [column.strip() for column in first_record]
    raw_columns = [f"c{index}" for index in range(len(header))]
    # Line 1 is the header, so the first record is line 2.
    await connection.execute(
        "CREATE TEMP TABLE stage_raw (line_number bigint GENERATED ALWAYS AS IDENTITY "
        f"(START WITH 2), {', '.join(f'{c} text' for c in raw_columns)}) ON COMMIT DROP"
    )
    await connection.execute(
        "CREATE TEMP TABLE stage_orders (LIKE silver.stage_orders_template) ON COMMIT DROP"
    )
    if raw_columns:
        await connection.copy_to_table(
            "stage_raw",
            source=io.BytesIO(payload),
            columns=raw_columns,
            format="csv",
            header=True,
            encoding="utf-8",
        )
    insert_sql, names = _staging_insert(header)
    status = await connection.execute(insert_sql, *names)
    return int(status.rsplit(" ", 1)[-1])


async def load_orders_file(
    connection: asyncpg.Connection,
    store: ObjectStore,
    *,
    bronze_file_id: int,
    bronze_key: str,
    run_id: UUID,
    base_currency: str,
) -> FileOutcome:
    """Apply one bronze orders file to silver and record its ledger row, atomically."""
    async with connection.transaction():
        await connection.execute("SET LOCAL TimeZone = 'UTC'")
        rows_read = await stage_orders_file(connection, store.read_bytes(bronze_key))
        await connection.execute(load_sql("silver_orders_checked"), base_currency)
        rejected_status = await connection.execute(
            load_sql("silver_orders_rejects"), bronze_file_id
        )
        rejected = int(rejected_status.rsplit(" ", 1)[-1])
        merged = await connection.fetchrow(load_sql("silver_orders_merge"), bronze_file_id)
        assert merged is not None
        outcome = FileOutcome(
            bronze_file_id=bronze_file_id,
            rows_read=rows_read,
            inserted=merged["inserted"],
            updated=merged["updated"],
            unchanged=merged["unchanged"],
            stale=merged["stale"],
            rejected=rejected,
        )
        if outcome.accounted != outcome.rows_read:
            raise LedgerImbalanceError(
                f"bronze file {bronze_file_id}: read {outcome.rows_read} rows but accounted for "
                f"{outcome.accounted}; nothing was committed"
            )
        await connection.execute(
            """
            INSERT INTO ops.file_ledger (bronze_file_id, run_id, rows_read, rows_inserted,
                rows_updated, rows_unchanged, rows_stale, rows_rejected)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            bronze_file_id,
            run_id,
            outcome.rows_read,
            outcome.inserted,
            outcome.updated,
            outcome.unchanged,
            outcome.stale,
            outcome.rejected,
        )
        await connection.execute(
            "UPDATE ops.bronze_files SET loaded_at = now() WHERE bronze_file_id = $1",
            bronze_file_id,
        )
    return outcome


async def unloaded_bronze_files(
    connection: asyncpg.Connection, entity: str
) -> list[asyncpg.Record]:
    """Bronze files of `entity` without a ledger row, in landing order."""
    rows: list[asyncpg.Record] = await connection.fetch(
        """
        SELECT b.bronze_file_id, b.bronze_path
        FROM ops.bronze_files b
        WHERE b.entity = $1
          AND NOT EXISTS (SELECT 1 FROM ops.file_ledger l WHERE l.bronze_file_id = b.bronze_file_id)
        ORDER BY b.bronze_file_id
        """,
        entity,
    )
    return rows
