"""Secondary indexes rebuilt, not maintained, while a bulk file writes its table.

A file that writes a large share of its table (the threshold of whole marks, `whole_marks`)
writes it fastest without the indexes that enforce nothing: maintaining a btree row by row
means a random leaf per row, where CREATE INDEX sorts once. On a million new orders the INSERT
into silver.orders with its three secondary indexes (customer, order day, loaded_at) took 6.2 s;
with the primary key alone 2.0 s, and building the three afterwards 1.5 s. PostgreSQL's manual
gives the same advice for populating a database.

Only indexes that enforce nothing are dropped: not unique, and backing no constraint, so keys
and uniqueness (`customers_current`, say) are still checked row by row. The drop and the rebuild
run in the file's transaction: a load that fails rolls back to the old indexes, and no reader
ever sees the table without them. The price is the lock: DROP INDEX holds the table ACCESS
EXCLUSIVE until the load commits, so readers of that table wait for a bulk load (a first load of
history, a large backfill); a small batch never drops anything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from flows.silver.checks import literal, quote

# $1: the table's qualified name. Valid indexes that are not unique and back no constraint
# (exclusion), with what recreates them exactly: name, columns or expressions, predicate, method.
_REBUILDABLE = """
    SELECT n.nspname AS schema, c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,
        obj_description(i.indexrelid, 'pg_class') AS comment
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE i.indrelid = $1::regclass AND i.indisvalid AND i.indisready AND NOT i.indisunique
      AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
    ORDER BY c.relname
"""


@dataclass(frozen=True)
class SecondaryIndex:
    """An index as its catalog recreates it."""

    qualified: str
    definition: str
    comment: str | None


async def secondary_indexes(
    connection: asyncpg.Connection, qualified_table: str
) -> list[SecondaryIndex]:
    """The indexes of a table that enforce nothing, by name."""
    return [
        SecondaryIndex(
            f"{quote(row['schema'])}.{quote(row['name'])}", row["definition"], row["comment"]
        )
        for row in await connection.fetch(_REBUILDABLE, qualified_table)
    ]


@asynccontextmanager
async def rebuilt_after(
    connection: asyncpg.Connection, qualified_table: str, *, bulk: bool
) -> AsyncIterator[list[SecondaryIndex]]:
    """Inside the block, the table has no secondary indexes when `bulk`; on leaving it normally
    they are built again, as they were. Must run inside a transaction: an error in the block
    leaves the rebuild to the rollback."""
    if bulk and not connection.is_in_transaction():
        raise RuntimeError("indexes are dropped for a bulk write only inside its transaction")
    indexes = await secondary_indexes(connection, qualified_table) if bulk else []
    for index in indexes:
        await connection.execute(f"DROP INDEX {index.qualified}")
    yield indexes
    for index in indexes:
        await connection.execute(index.definition)
        if index.comment is not None:
            await connection.execute(
                f"COMMENT ON INDEX {index.qualified} IS {literal(index.comment)}"
            )
