"""The set-based SQL that merges a checked file into its silver table.

Each valid row of `stage_checked` is classified in `stage_outcomes` (inserted, updated, completed,
versioned, unchanged, stale) against silver under "latest updated_at wins", then applied: in
place, or for SCD2 tables as a closed and a new version. Generated from the table's declaration.
"""

from __future__ import annotations

from flows.gold.inputs import DirtyMark, Scope
from flows.gold.marts import dirty_marks
from flows.silver.checks import quote
from flows.silver.tables import SILVER_TABLE_BY_ENTITY, ColumnType, SilverTable

APPLIED_OUTCOMES = ("inserted", "updated", "completed", "versioned")
STAGE_TABLES = ("stage_raw", "stage_checked", "stage_outcomes")
# Column types held as text in the stage tables: a collation applies to them.
_TEXT_TYPES = (ColumnType.TEXT, ColumnType.CURRENCY)


def _row(prefix: str, names: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(f"{prefix}.{quote(name)}" for name in names) + ")"


def _key_match(table: SilverTable, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{quote(k)} = {right}.{quote(k)}" for k in table.key)


def _partition(table: SilverTable, alias: str) -> str:
    """The key as a window over a file groups it: text compared byte by byte (COLLATE "C").

    The groups are the same as under the column's own collation, since a database's default
    collation is deterministic and so calls two texts equal only when their bytes are. The sort
    is cheaper: a collation other than "C" compares by strcoll without abbreviated keys (on
    PostgreSQL 15 a database created "C.UTF-8" does so too), 1.7-2.0 s against 1.3 s for the
    million order ids of a 1M orders file. Rows come out in byte order, which is the order of a
    "C.UTF-8" index; a bulk file rebuilds its indexes after writing in any case."""
    keys = []
    for name in table.key:
        collate = ' COLLATE "C"' if table.column(name).type in _TEXT_TYPES else ""
        keys.append(f"{alias}.{quote(name)}{collate}")
    return ", ".join(keys)


def deleted_at(table: SilverTable, row: str) -> str:
    """When the key of `row` was deleted from a history table: the end of its last version,
    if no version is current (a scalar subquery; NULL when the key was never deleted)."""
    return (
        f"(SELECT max(h.valid_to) FROM {table.qualified} h"  # nosec B608 # table/column names from SILVER_TABLES declarations
        f" WHERE {_key_match(table, 'h', row)} AND NOT h.is_current)"
    )


def classified_rows(table: SilverTable, tracked: tuple[str, ...]) -> str:
    """CREATE `stage_outcomes`: each valid row's outcome against silver (latest updated_at wins;
    for equal times the later line, and across files the later file). A deleted key counts as
    present at the time of its delete, so only rows newer than the delete bring it back."""
    compared = [*table.value_columns, "extras"]
    current = " AND cur.is_current" if table.history else ""
    new_key = "'inserted'"
    if table.history:
        new_key = (
            f"CASE WHEN r.updated_at < {deleted_at(table, 'r')} THEN 'stale' ELSE 'inserted' END"
        )
    history_cases = ""
    if table.history:
        history_cases = "WHEN cur.is_inferred THEN 'completed'"
    undelete = "WHEN cur.deleted_at IS NOT NULL THEN 'updated'" if table.soft_delete else ""
    versioned = ""
    if table.history and tracked:
        versioned = (
            f"WHEN {_row('r', list(tracked))} IS DISTINCT FROM {_row('cur', list(tracked))}"
            " THEN 'versioned'"
        )
    # The marked columns' values before the change: a row moving day (or customer) dirties both.
    day_select = previous_marked_columns(table, "cur")
    partition = _partition(table, "c")
    # The window sorts the rows by key, so the inserts into silver's indexes and the marks that
    # follow go in key order. Ranking only the keys a file repeats (a hash anti-join) was tried:
    # the join handed the rows on in hash order, and the INSERT into silver.orders and the
    # back-office marks took 1.2 s more on a file of 300,000 new orders than the sort saved.
    return f"""
        CREATE TEMP TABLE stage_outcomes ON COMMIT DROP AS
        WITH ranked AS (
            SELECT c.*, row_number() OVER (
                PARTITION BY {partition} ORDER BY c.updated_at DESC, c.source_line DESC
            ) AS rank_in_file
            FROM stage_checked c
            WHERE c.rule IS NULL
        )
        SELECT r.*{day_select},
            CASE
                WHEN r.rank_in_file > 1 THEN 'superseded'
                WHEN cur.{quote(table.key[0])} IS NULL THEN {new_key}
                {history_cases}
                WHEN r.updated_at < cur.updated_at THEN 'stale'
                {undelete}
                WHEN {_row("r", compared)} IS NOT DISTINCT FROM {_row("cur", compared)}
                    THEN 'unchanged'
                {versioned}
                ELSE 'updated'
            END AS outcome
        FROM ranked r
        LEFT JOIN {table.qualified} cur ON {_key_match(table, "cur", "r")}{current}
    """  # nosec B608 # table/column names from SILVER_TABLES declarations


def settle_superseded(table: SilverTable) -> str:
    """Rows beaten by a later row of the same file: an exact repeat is unchanged, else stale."""
    compared = [*table.value_columns, "extras"]
    return f"""
        UPDATE stage_outcomes s
        SET outcome = CASE WHEN {_row("s", compared)} IS NOT DISTINCT FROM {_row("w", compared)}
                           THEN 'unchanged' ELSE 'stale' END
        FROM stage_outcomes w
        WHERE s.outcome = 'superseded' AND w.rank_in_file = 1 AND {_key_match(table, "w", "s")}
    """  # nosec B608 # table/column names from SILVER_TABLES declarations


def analyze_stage(name: str) -> str:
    """Statistics for a temporary stage table, which autovacuum never sees. Without them the
    planner takes `rule IS NOT NULL` or `outcome = 'superseded'` to match most rows of a large
    file, and sorts a million rows or probes an index a million times where a hash join over
    the few matching rows takes a fraction of a second; a coarse sample is enough to tell."""
    if name not in STAGE_TABLES:
        raise ValueError(f"{name} is not a stage table")
    return f"SET LOCAL default_statistics_target = 10; ANALYZE {name}"


def outcome_counts() -> str:
    """Rows per outcome, with SCD2 completions and new versions counted as updates."""
    return """
        SELECT
            count(*) FILTER (WHERE outcome = 'inserted') AS inserted,
            count(*) FILTER (WHERE outcome IN ('updated', 'completed', 'versioned')) AS updated,
            count(*) FILTER (WHERE outcome = 'unchanged') AS unchanged,
            count(*) FILTER (WHERE outcome = 'stale') AS stale,
            count(*) FILTER (WHERE outcome = 'superseded') AS unsettled
        FROM stage_outcomes
    """


def _stored_columns(table: SilverTable) -> list[str]:
    return [*table.value_columns, "extras"]


def apply_changes(table: SilverTable) -> list[tuple[str, bool]]:
    """Statements writing the winners into silver, each with whether it binds $1 (the bronze
    file id, recorded as the rows' provenance)."""
    columns = _stored_columns(table)
    names = ", ".join(quote(c) for c in columns)
    values = ", ".join(f"s.{quote(c)}" for c in columns)
    assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in columns)
    provenance = "bronze_file_id = $1, source_line = s.source_line, loaded_at = now()"
    if not table.history:
        if table.soft_delete:
            assignments += ", deleted_at = NULL"  # a change newer than the delete brings it back
        # An UPDATE and a plain INSERT rather than INSERT ... ON CONFLICT: the outcomes already
        # say which keys silver holds (one run at a time), and the speculative insertion that
        # ON CONFLICT makes for every row took 2-3 s more on a file of a million new orders.
        return [
            (
                f"""
            UPDATE {table.qualified} t SET {assignments}, {provenance}
            FROM stage_outcomes s WHERE {_key_match(table, "t", "s")} AND s.outcome = 'updated'
            """,  # nosec B608 # table/column names from SILVER_TABLES declarations
                True,
            ),
            (
                f"""
            INSERT INTO {table.qualified} ({names}, bronze_file_id, source_line, loaded_at)
            SELECT {values}, $1, s.source_line, now()
            FROM stage_outcomes s WHERE s.outcome = 'inserted'
            """,  # nosec B608 # table/column names from SILVER_TABLES declarations
                True,
            ),
        ]
    match = f"{_key_match(table, 't', 's')} AND t.is_current"
    return [
        # Type 1 changes and inferred rows completed by their real row: in place.
        (
            f"""
        UPDATE {table.qualified} t SET {assignments}, is_inferred = false,
            valid_from = CASE WHEN s.outcome = 'completed' THEN s.updated_at ELSE t.valid_from END,
            {provenance}
        FROM stage_outcomes s WHERE {match} AND s.outcome IN ('updated', 'completed')
        """,  # nosec B608 # table/column names from SILVER_TABLES declarations
            True,
        ),
        # Type 2 changes: close the current version ...
        (
            f"""
        UPDATE {table.qualified} t SET valid_to = s.updated_at, is_current = false,
            loaded_at = now()
        FROM stage_outcomes s WHERE {match} AND s.outcome = 'versioned'
        """,  # nosec B608 # table/column names from SILVER_TABLES declarations
            False,
        ),
        # ... and open the new one (new keys too).
        (
            f"""
        INSERT INTO {table.qualified} ({names}, valid_from, valid_to, is_current, is_inferred,
            bronze_file_id, source_line, loaded_at)
        SELECT {values}, s.updated_at, 'infinity', true, false, $1, s.source_line, now()
        FROM stage_outcomes s WHERE s.outcome IN ('inserted', 'versioned')
        """,  # nosec B608 # table/column names from SILVER_TABLES declarations
            True,
        ),
    ]


def infer_parents(column: str, parent: SilverTable) -> str:
    """Add a placeholder parent for every applied row whose parent has not arrived; the real
    row completes it later. Parameter: $1 bronze file id. Returns the number inferred."""
    [parent_key] = parent.key
    return f"""
        INSERT INTO {parent.qualified} ({quote(parent_key)}, updated_at, valid_from, valid_to,
            is_current, is_inferred, bronze_file_id, source_line, loaded_at)
        SELECT DISTINCT ON (s.{quote(column)}) s.{quote(column)}, '-infinity', '-infinity',
            'infinity', true, true, $1, s.source_line, now()
        FROM stage_outcomes s
        WHERE s.outcome IN ('inserted', 'updated') AND s.{quote(column)} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {parent.qualified} p
                          WHERE p.{quote(parent_key)} = s.{quote(column)})
        ORDER BY s.{quote(column)}, s.source_line
    """  # nosec B608 # table/column names from SILVER_TABLES declarations


def orphan_count(column: str, parent: SilverTable) -> str:
    """The number of applied rows whose `column` names a parent that is not in silver (yet):
    they are loaded as they are, and counted. Takes no parameters."""
    [parent_key] = parent.key
    return f"""
        SELECT count(*) FROM stage_outcomes s
        WHERE s.outcome IN {APPLIED_OUTCOMES} AND s.{quote(column)} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {parent.qualified} p
                          WHERE p.{quote(parent_key)} = s.{quote(column)})
    """  # nosec B608 # table/column names from SILVER_TABLES declarations


def previous_marked_columns(table: SilverTable, alias: str) -> str:
    """`, alias.col AS previous_col` for each column the table's own dirty marks read: the
    "previous" key `mark_dirty` marks beside the current one."""
    columns = dict.fromkeys(
        column for mark in dirty_marks(table.name) if mark.via is None for column in mark.columns
    )
    return "".join(
        f", {alias}.{quote(column)} AS {quote('previous_' + column)}" for column in columns
    )


def dirty_key(table: SilverTable, mark: DirtyMark, alias: str, column: str) -> str:
    """The dirty key of `alias.column`: a UTC day for day marks, the value for customers."""
    value = f"{alias}.{quote(column)}"
    source = table if mark.via is None else SILVER_TABLE_BY_ENTITY[mark.via]
    if mark.scope is Scope.DAYS and source.column(mark.column).type is not ColumnType.DATE:
        day_column = column in (mark.column, f"previous_{mark.column}")
        return f"({value} AT TIME ZONE 'UTC')::date" if day_column else value
    return value


def mark_dirty(table: SilverTable, changed: str) -> list[str]:
    """Statements recording the days and customers whose marts must be rebuilt (the marts'
    declared inputs say which), for the rows `changed` selects (a FROM item aliased `s`): their
    keys after and, for the table's own columns, before the change."""
    return [_mark_dirty_statement(table, mark, changed) for mark in dirty_marks(table.name)]


def _mark_dirty_statement(table: SilverTable, mark: DirtyMark, changed: str) -> str:
    """One `mark_dirty` statement: the mark's keys (a key, or a day and its group columns)."""
    target_columns = [mark.target.column, *mark.groups]
    names = [f"key{index}" for index in range(len(target_columns))]
    marts = ", ".join(f"('{mart}')" for mart in mark.marts)
    if mark.via is not None:
        selected = ", ".join(
            f"{dirty_key(table, mark, 'v', column)} AS {name}"
            for column, name in zip(mark.columns, names, strict=True)
        )
        keys = f"""
            SELECT DISTINCT {selected}
            FROM {changed} JOIN silver.{mark.via} v ON v.order_id = s.order_id
        """  # nosec B608 # table/column names from SILVER_TABLES declarations
    else:
        # The distinct (new, previous) pairs first: a large file has a million changed rows
        # but a few hundred pairs, and unpivoting every row before the DISTINCT takes a second.
        new = [f"{dirty_key(table, mark, 's', column)} AS {name}" for column, name in
               zip(mark.columns, names, strict=True)]  # fmt: skip
        old = [f"{dirty_key(table, mark, 's', 'previous_' + column)} AS previous_{name}"
               for column, name in zip(mark.columns, names, strict=True)]  # fmt: skip
        after = ", ".join(f"p.{name}" for name in names)
        before = ", ".join(f"p.previous_{name}" for name in names)
        keys = f"""
            SELECT DISTINCT k.* FROM (
                SELECT DISTINCT {", ".join(new + old)}
                FROM {changed}
            ) AS p
            CROSS JOIN LATERAL (VALUES ({after}), ({before})) AS k ({", ".join(names)})
        """  # nosec B608 # table/column names from SILVER_TABLES declarations
    present = " AND ".join(f"k.{name} IS NOT NULL" for name in names)
    marked = " AND ".join(
        f"d.{column} = k.{name}" for column, name in zip(target_columns, names, strict=True)
    )
    # NOT EXISTS rather than ON CONFLICT DO NOTHING: the speculative insertion ON CONFLICT
    # makes for every key took 0.75 s where this takes 0.6 on the 100,000 customers of a
    # file of 300,000 new orders (one run at a time writes marks; the keys are distinct).
    return f"""
        INSERT INTO {mark.target.dirty} (mart, {", ".join(target_columns)})
        SELECT m.mart, {", ".join(f"k.{name}" for name in names)}
        FROM ({keys}) AS k CROSS JOIN (VALUES {marts}) AS m (mart)
        WHERE {present}
          AND NOT EXISTS (SELECT FROM {mark.target.dirty} d WHERE d.mart = m.mart AND {marked})
    """  # nosec B608 # table/column names from SILVER_TABLES declarations


def mark_dirty_changes(table: SilverTable) -> list[str]:
    """`mark_dirty` for the rows a file inserted or changed."""
    return mark_dirty(
        table,
        f"(SELECT * FROM stage_outcomes WHERE outcome IN {APPLIED_OUTCOMES}) AS s",  # nosec B608 # table/column names from SILVER_TABLES declarations
    )
