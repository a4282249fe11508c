"""Whole marks: when a file changes so much of a table that marking it key by key costs more
than it saves.

A file's changed rows normally mark their keys: the days and customers of the marts they feed
(`statements.mark_dirty_changes`) and the back office's keys (`back_office_marks`). A file that
applies at least `min_rows` rows (ECOM_WHOLE_MARK_ROWS) and at least `WHOLE_MARK_SHARE` of the
rows the table held instead marks each of those marts and back-office entities whole: one row
each in `ops.dirty_marts` / `ops.dirty_back_office_entities`, and their next build or copy
takes every key. The first load of a history is the common case: a million new orders wrote a
million back-office marks and a third of a million customer marks (4 of the 20 s of its load)
for builds that read every key anyway.

The table's size is the planner's estimate (`pg_class.reltuples`, kept by ANALYZE and
autovacuum; 0 before the first): counting the rows would cost a small batch in proportion to
history. Marking whole is never wrong, only slower to rebuild, so an estimate is enough.
"""

from __future__ import annotations

from flows.gold.marts import dirty_marks
from flows.silver.back_office_marks import BACK_OFFICE_TABLES
from flows.silver.tables import SilverTable

# The share of a table's rows a file must apply to mark whole (besides ECOM_WHOLE_MARK_ROWS).
WHOLE_MARK_SHARE = 0.25

# $1: the silver table's qualified name. Never-analysed tables say -1.
ESTIMATED_ROWS = "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = $1::regclass"


def marks_whole(applied: int, estimated_rows: int, min_rows: int) -> bool:
    """Whether a file that applied `applied` rows to a table of about `estimated_rows` rows
    marks whole."""
    return applied >= min_rows and applied >= WHOLE_MARK_SHARE * estimated_rows


def mark_whole(table: SilverTable) -> list[str]:
    """Statements marking whole every mart `table` feeds and, for a table the back office
    mirrors, its back-office entity. Takes no parameters."""
    marts = sorted({mart for mark in dirty_marks(table.name) for mart in mark.marts})
    statements = []
    if marts:
        values = ", ".join(f"('{mart}')" for mart in marts)
        statements.append(
            f"INSERT INTO ops.dirty_marts (mart) VALUES {values}"  # nosec B608 # mart names from the Mart declarations
            " ON CONFLICT (mart) DO UPDATE SET marked_at = now()"
        )
    if table.name in BACK_OFFICE_TABLES:
        statements.append(
            f"INSERT INTO ops.dirty_back_office_entities (entity) VALUES ('{table.name}')"  # nosec B608 # a table name from SILVER_TABLES declarations
            " ON CONFLICT (entity) DO UPDATE SET marked_at = now()"
        )
    return statements
