"""Marks for the back office: the keys of silver products, customers and orders a file changed.

The run that loads the file copies those keys' current rows into the admin schema
(`flows.back_office`) and clears the marks; marks left by a run that failed before copying are
picked up by the next one. Identifiers come from the table declarations only.
"""

from __future__ import annotations

from flows.silver.checks import quote
from flows.silver.tables import SilverTable

# The silver tables the back office mirrors.
BACK_OFFICE_TABLES = ("products", "customers", "orders")
APPLIED_OUTCOMES = ("inserted", "updated", "completed", "versioned")


def _mark(table: SilverTable, keys: str) -> str:
    return f"""
        INSERT INTO ops.dirty_back_office (entity, key)
        SELECT DISTINCT '{table.name}', k.key FROM ({keys}) AS k (key)
        WHERE k.key IS NOT NULL
        ON CONFLICT (entity, key) DO UPDATE SET marked_at = now()
    """  # nosec B608 # table/key names from SILVER_TABLES declarations


def mark_changed_rows(table: SilverTable) -> list[str]:
    """Statements marking the keys whose rows `stage_outcomes` applied (none for other
    tables)."""
    if table.name not in BACK_OFFICE_TABLES:
        return []
    key = quote(table.key[0])
    return [_mark(table, f"SELECT {key} FROM stage_outcomes WHERE outcome IN {APPLIED_OUTCOMES}")]  # nosec B608 # table/key names from SILVER_TABLES declarations


def mark_admin_edits(table: SilverTable) -> list[str]:
    """Statements marking every key of the admin edits staged in `stage_checked`, whatever
    their outcome: an edit silver found stale or rejected sends silver's row back to the back
    office, so the back office never keeps a value silver refused."""
    if table.name not in BACK_OFFICE_TABLES:
        return []
    return [_mark(table, f"SELECT {quote(table.key[0])} FROM stage_checked")]  # nosec B608 # table/key names from SILVER_TABLES declarations


def mark_deleted_rows(table: SilverTable) -> list[str]:
    """Statements marking the keys of every admin delete in `stage_deletes` (applied or not)."""
    if table.name not in BACK_OFFICE_TABLES:
        return []
    return [_mark(table, "SELECT entity_id FROM stage_deletes")]
