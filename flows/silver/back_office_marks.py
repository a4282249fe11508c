"""Marks for the back office: the keys of silver products, customers and orders a file changed.

The run that loads the file copies those keys' current rows into the admin schema
(`flows.back_office`) and clears the marks; marks left by a run that failed before copying are
picked up by the next one. Identifiers come from the table declarations only.
"""

from __future__ import annotations

from flows.silver.checks import quote
from flows.silver.statements import APPLIED_OUTCOMES
from flows.silver.tables import SilverTable

# The silver tables the back office mirrors.
BACK_OFFICE_TABLES = ("products", "customers", "orders")


def _mark(table: SilverTable, keys: str, *, distinct: bool = True) -> list[str]:
    """Mark the keys `keys` selects: marks that exist get a new time, the others are inserted.
    An UPDATE and an INSERT of the keys not marked rather than INSERT ... ON CONFLICT: the
    speculative insertion ON CONFLICT makes for every key took 8 s where these take 5 on a file
    of 300,000 new orders (one run at a time writes marks). `distinct`: whether `keys` may
    repeat a key."""
    marked = f"""
        SELECT {"DISTINCT" if distinct else ""} k.key FROM ({keys}) AS k (key)
        WHERE k.key IS NOT NULL
    """  # nosec B608 # table/key names from SILVER_TABLES declarations
    return [
        f"""
        UPDATE ops.dirty_back_office d SET marked_at = now()
        FROM ({marked}) AS k WHERE d.entity = '{table.name}' AND d.key = k.key
        """,  # nosec B608 # table/key names from SILVER_TABLES declarations
        f"""
        INSERT INTO ops.dirty_back_office (entity, key)
        SELECT '{table.name}', k.key FROM ({marked}) AS k
        WHERE NOT EXISTS (SELECT FROM ops.dirty_back_office d
                          WHERE d.entity = '{table.name}' AND d.key = k.key)
        """,  # nosec B608 # table/key names from SILVER_TABLES declarations
    ]


def mark_changed_rows(table: SilverTable) -> list[str]:
    """Statements marking the keys whose rows `stage_outcomes` applied (none for other
    tables). A file applies one row per key at most: its other rows of a key are superseded."""
    if table.name not in BACK_OFFICE_TABLES:
        return []
    key = quote(table.key[0])
    return _mark(
        table,
        f"SELECT {key} FROM stage_outcomes WHERE outcome IN {APPLIED_OUTCOMES}",  # nosec B608 # table/key names from SILVER_TABLES declarations
        distinct=False,
    )


def mark_admin_edits(table: SilverTable) -> list[str]:
    """Statements marking every key of the admin edits staged in `stage_checked`, whatever
    their outcome: an edit silver found stale or rejected sends silver's row back to the back
    office, so the back office never keeps a value silver refused."""
    if table.name not in BACK_OFFICE_TABLES:
        return []
    return _mark(table, f"SELECT {quote(table.key[0])} FROM stage_checked")  # nosec B608 # table/key names from SILVER_TABLES declarations


def mark_deleted_rows(table: SilverTable) -> list[str]:
    """Statements marking the keys of every admin delete in `stage_deletes` (applied or not)."""
    if table.name not in BACK_OFFICE_TABLES:
        return []
    return _mark(table, "SELECT entity_id FROM stage_deletes")
