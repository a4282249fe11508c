"""Indexes rebuilt, not maintained, while a bulk file writes its table.

A file that writes a large share of its table (the threshold of whole marks, `whole_marks`)
writes it fastest without its indexes: maintaining a btree row by row means a leaf per row,
where CREATE INDEX sorts once (in parallel, where the server allows). On a million new orders
the INSERT into silver.orders with its three secondary indexes (customer, order day, loaded_at)
took 6.2 s; with the primary key alone 2.0 s, and building the three afterwards 1.5 s. Without
the key too, the INSERT took 1.9-2.7 s where it took 3.1-5.2 s with it, and building the key
afterwards 0.7 s. PostgreSQL's manual gives the same advice for populating a database.

Keys and unique indexes are rebuilt too, so uniqueness is checked once, over the whole table,
when the key is built again: a duplicate fails the load before it commits, as a row that broke
the key would have. The load writes only keys it found new (`statements.classified_rows`), so
that takes a bug or a concurrent writer. An index stays when something outside the table leans
on it: a foreign key referencing it, an exclusion constraint, the table's replica identity or
its clustering.

The drop and the rebuild run in the file's transaction: a load that fails rolls back to the old
indexes, and no reader ever sees the table without them. The price is the lock: DROP INDEX holds
the table ACCESS EXCLUSIVE until the load commits, so readers of that table wait for a bulk load
(a first load of history, a large backfill); a small batch never drops anything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from flows.silver.checks import literal, quote

# $1: the table's qualified name. Its valid indexes that nothing outside the table leans on, with
# what recreates them exactly: the index's definition (columns or expressions, predicate,
# method), or for a key or unique constraint the constraint's; and their comments. Constraints
# first, so that the keys are back before the other indexes are built.
_REBUILDABLE = """
    SELECT n.nspname AS schema, c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,
        obj_description(i.indexrelid, 'pg_class') AS comment, k.conname AS constraint_name,
        pg_get_constraintdef(k.oid) AS constraint_definition,
        obj_description(k.oid, 'pg_constraint') AS constraint_comment
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid
    WHERE i.indrelid = $1::regclass AND i.indisvalid AND i.indisready
      AND NOT i.indisreplident AND NOT i.indisclustered
      AND (k.oid IS NULL OR k.contype IN ('p', 'u'))
      AND NOT EXISTS (SELECT FROM pg_constraint f
                      WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
    ORDER BY k.oid IS NULL, c.relname
"""


@dataclass(frozen=True)
class RebuiltIndex:
    """An index as its catalog recreates it: by its own definition, or by its constraint's."""

    table: str
    qualified: str
    definition: str
    comment: str | None
    constraint: str | None = None  # the key or unique constraint the index backs
    constraint_definition: str | None = None
    constraint_comment: str | None = None

    def drop(self) -> str:
        """The statement removing the index (with its constraint)."""
        if self.constraint is None:
            return f"DROP INDEX {self.qualified}"
        return f"ALTER TABLE {self.table} DROP CONSTRAINT {quote(self.constraint)}"

    def rebuild(self) -> list[str]:
        """The statements building the index (with its constraint) and comments again."""
        if self.constraint is None:
            statements = [self.definition]
        else:
            statements = [
                f"ALTER TABLE {self.table} ADD CONSTRAINT {quote(self.constraint)}"
                f" {self.constraint_definition}"
            ]
            if self.constraint_comment is not None:
                statements.append(
                    f"COMMENT ON CONSTRAINT {quote(self.constraint)} ON {self.table}"
                    f" IS {literal(self.constraint_comment)}"
                )
        if self.comment is not None:
            statements.append(f"COMMENT ON INDEX {self.qualified} IS {literal(self.comment)}")
        return statements


async def rebuildable_indexes(
    connection: asyncpg.Connection, qualified_table: str
) -> list[RebuiltIndex]:
    """The indexes of a table that a bulk write drops and builds again, keys first."""
    return [
        RebuiltIndex(
            qualified_table,
            f"{quote(row['schema'])}.{quote(row['name'])}",
            row["definition"],
            row["comment"],
            row["constraint_name"],
            row["constraint_definition"],
            row["constraint_comment"],
        )
        for row in await connection.fetch(_REBUILDABLE, qualified_table)
    ]


@asynccontextmanager
async def rebuilt_after(
    connection: asyncpg.Connection, qualified_table: str, *, bulk: bool
) -> AsyncIterator[list[RebuiltIndex]]:
    """Inside the block, the table has none of its rebuildable indexes when `bulk`; on leaving it
    normally they are built again, as they were, and a key finding a duplicate raises. Must run
    inside a transaction: an error in the block, or in the rebuild, leaves the old indexes to
    the rollback."""
    if bulk and not connection.is_in_transaction():
        raise RuntimeError("indexes are dropped for a bulk write only inside its transaction")
    indexes = await rebuildable_indexes(connection, qualified_table) if bulk else []
    for index in indexes:
        await connection.execute(index.drop())
    yield indexes
    for index in indexes:
        for statement in index.rebuild():
            await connection.execute(statement)
