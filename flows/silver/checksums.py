"""Content checksums of silver: equal checksums mean equal tables, whatever order rows were
written in and whatever surrogate ids or load times they got."""

from __future__ import annotations

import asyncpg

from flows.silver.checks import quote
from flows.silver.tables import SILVER_TABLES

# Bookkeeping that legitimately differs between two loads of the same bronze content.
_VOLATILE = frozenset(
    {
        "version_id",
        "loaded_at",
        "bronze_file_id",
        "reject_id",
        "rejected_at",
        "run_id",
        "resolved_at",
        "resolved_run_id",
    }
)
CHECKED_TABLES = (*(table.name for table in SILVER_TABLES), "rejects")


async def table_checksum(
    connection: asyncpg.Connection, table: str, volatile: frozenset[str] = frozenset()
) -> str:
    """md5 of the rows of `table` (`schema.name`), `volatile` columns left out, in a canonical
    order: equal for equal contents whatever order the rows were written in."""
    columns = [
        row["attname"]
        for row in await connection.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0"
            " AND NOT attisdropped ORDER BY attnum",
            table,
        )
        if row["attname"] not in volatile
    ]
    row_text = f"ROW({', '.join(quote(c) for c in columns)})::text"
    checksum: str = await connection.fetchval(
        f"SELECT coalesce(md5(string_agg({row_text}, E'\\n' ORDER BY {row_text})), 'empty')"  # nosec B608 # columns from SILVER_TABLES declarations
        f" FROM {table}"
    )
    return checksum


async def silver_checksums(connection: asyncpg.Connection) -> dict[str, str]:
    """md5 of each silver table's rows (volatile bookkeeping left out), by table name."""
    return {
        name: await table_checksum(connection, f"silver.{quote(name)}", _VOLATILE)
        for name in CHECKED_TABLES
    }
