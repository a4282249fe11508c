"""The set-based SQL that moves one staged file into a silver table, generated from its declaration.

Every statement works on the transaction's temporary tables:
`stage_raw` (the file as text, `c0..cN` in header order, with its CSV record number),
`stage_checked` (typed values and the first rule each row breaks) and `stage_outcomes` (each valid
row classified as inserted, updated, unchanged or stale against silver). Identifiers come from the
declarations only; header names from a file travel as bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.silver.tables import Column, ColumnType, SilverTable

# Rules a row can break, in the order they are checked.
MISSING_REQUIRED = "MISSING_REQUIRED"
BAD_NUMBER = "BAD_NUMBER"
BAD_TIMESTAMP = "BAD_TIMESTAMP"
BAD_DATE = "BAD_DATE"
BAD_BOOLEAN = "BAD_BOOLEAN"
UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
NO_FX_RATE = "NO_FX_RATE"

_TYPE_RULES = {
    ColumnType.INTEGER: (BAD_NUMBER, "is not a whole number"),
    ColumnType.DECIMAL: (BAD_NUMBER, "is not a decimal number"),
    ColumnType.TIMESTAMP: (BAD_TIMESTAMP, "is not a timestamp"),
    ColumnType.DATE: (BAD_DATE, "is not a date (YYYY-MM-DD)"),
    ColumnType.BOOLEAN: (BAD_BOOLEAN, "is not true or false"),
    ColumnType.CURRENCY: (UNKNOWN_CURRENCY, "is not a known ISO 4217 currency code"),
}
APPLIED_OUTCOMES = ("inserted", "updated", "completed", "versioned")
STAGE_TABLES = ("stage_raw", "stage_checked", "stage_outcomes")


def quote(identifier: str) -> str:
    """A declared identifier, quoted for SQL."""
    return '"' + identifier.replace('"', '""') + '"'


def _raw(column: Column) -> str:
    return quote(f"{column.name}__raw")


def _typed(column: Column, soft_casts: bool) -> str:
    """The typed value, NULL when the text does not cast. With `soft_casts` (PostgreSQL 16+),
    pg_input_is_valid tests timestamps and dates without the subtransaction that the exception
    block of silver.try_timestamptz and silver.try_date opens for every value: on a file of a
    million orders that subtransaction costs a third of checking it."""
    raw = _raw(column)
    match column.type:
        case ColumnType.TEXT:
            return raw
        case ColumnType.CURRENCY:
            return f"upper({raw})"
        case ColumnType.INTEGER:
            return f"CASE WHEN {raw} ~ '^[+-]?[0-9]{{1,9}}$' THEN {raw}::integer END"
        case ColumnType.DECIMAL:
            pattern = "'^[+-]?[0-9]{1,14}([.][0-9]{1,6})?$'"
            return f"CASE WHEN {raw} ~ {pattern} THEN {raw}::numeric END"
        case ColumnType.TIMESTAMP:
            if soft_casts:
                return (
                    f"CASE WHEN pg_input_is_valid({raw}, 'timestamptz') THEN {raw}::timestamptz END"
                )
            return f"silver.try_timestamptz({raw})"
        case ColumnType.DATE:
            if soft_casts:  # the rule of silver.try_date: YYYY-MM-DD, and a real date
                return (
                    f"CASE WHEN {raw} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'"
                    f" AND pg_input_is_valid({raw}, 'date') THEN {raw}::date END"
                )
            return f"silver.try_date({raw})"
        case ColumnType.BOOLEAN:
            return (
                f"CASE WHEN lower({raw}) IN ('true', 't', 'yes', 'y', '1') THEN true"
                f" WHEN lower({raw}) IN ('false', 'f', 'no', 'n', '0') THEN false END"
            )


def _is_bad(column: Column) -> str:
    raw, name = _raw(column), quote(column.name)
    if column.type is ColumnType.TEXT:
        return "false"
    if column.type is ColumnType.CURRENCY:
        return f"{raw} IS NOT NULL AND {name} NOT IN (SELECT code FROM silver.currencies)"
    return f"{name} IS NULL AND {raw} IS NOT NULL"


@dataclass(frozen=True)
class StagedHeader:
    """Where each declared column sits in a staged file, and which headers are extra."""

    positions: dict[str, int]  # source column name -> c<index>
    extra_positions: dict[str, int]  # unknown header -> c<index>, kept in `extras`
    width: int

    @classmethod
    def from_header(cls, table: SilverTable, header: list[str]) -> StagedHeader:
        """Map a file's header onto the table; the first of repeated names wins."""
        positions: dict[str, int] = {}
        extras: dict[str, int] = {}
        for index, name in enumerate(header):
            target = positions if name in table.source_columns else extras
            target.setdefault(name, index)
        return cls(positions, extras, len(header))

    def missing(self, table: SilverTable) -> list[str]:
        """Declared source columns the file does not carry."""
        return [c.source_name for c in table.columns if c.source_name not in self.positions]


def stage_raw_table(width: int, *, with_ragged: bool = True) -> str:
    """The temporary table a file is copied into: one text column per header field (and, unless
    told otherwise, the table of records of the wrong width)."""
    columns = ", ".join(f"c{index} text" for index in range(width))
    # Line 1 is the header, so the first record is line 2.
    statement = (
        "CREATE TEMP TABLE stage_raw (source_line bigint GENERATED BY DEFAULT AS IDENTITY "
        f"(START WITH 2){', ' if columns else ''}{columns}) ON COMMIT DROP"
    )
    if with_ragged:
        # Records of the wrong width, when a file has to be staged record by record.
        statement += (
            ";CREATE TEMP TABLE stage_ragged (source_line bigint, fields text[]) ON COMMIT DROP"
        )
    return statement


def checked_rows(
    table: SilverTable,
    header: StagedHeader,
    keep_extras: bool,
    base_currency: str,
    *,
    soft_casts: bool = False,
) -> tuple[str, list[object]]:
    """CREATE the typed, rule-checked copy of `stage_raw`; returns the statement and its
    arguments (the base currency when money converts, the extra header names when kept).
    `soft_casts`: the server has pg_input_is_valid (PostgreSQL 16 and later)."""
    args: list[object] = []

    def bind(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    base = bind(base_currency) if table.fx is not None else ""
    raw_select = [
        f"nullif(btrim(c{header.positions[c.source_name]}), '') AS {_raw(c)}"
        if c.source_name in header.positions
        else f"NULL::text AS {_raw(c)}"
        for c in table.columns
    ]
    if keep_extras and header.extra_positions:
        values = ", ".join(f"nullif(btrim(c{i}), '')" for i in header.extra_positions.values())
        names = bind(list(header.extra_positions))
        raw_select.append(
            f"jsonb_strip_nulls(jsonb_object({names}::text[], ARRAY[{values}]::text[])) AS extras"
        )
    else:
        raw_select.append("'{}'::jsonb AS extras")
    typed_select = [f"{_typed(c, soft_casts)} AS {quote(c.name)}" for c in table.columns]
    rules: list[str] = []
    messages: list[str] = []
    for column in table.columns:
        if column.required:
            rules.append(f"WHEN {_raw(column)} IS NULL THEN '{MISSING_REQUIRED}'")
            messages.append(f"WHEN {_raw(column)} IS NULL THEN '{column.source_name} is empty'")
    for column in table.columns:
        if column.type in _TYPE_RULES:
            rule, text = _TYPE_RULES[column.type]
            rules.append(f"WHEN {_is_bad(column)} THEN '{rule}'")
            messages.append(
                f"WHEN {_is_bad(column)} THEN '{column.source_name} ' || quote_literal("
                f"{_raw(column)}) || ' {text}'"
            )
    fx_select = ""
    if table.fx is not None:
        fx = table.fx
        currency, day = quote(fx.currency), f"({quote(fx.date_column)} AT TIME ZONE 'UTC')::date"
        # Qualified: fx_rates has columns called currency and updated_at too, and inside the
        # subquery an unqualified name would mean the rate's own column.
        row_day = f"(typed.{quote(fx.date_column)} AT TIME ZONE 'UTC')::date"
        fx_select = (
            f", CASE WHEN {currency} = {base}::text THEN 1::numeric ELSE (SELECT f.rate"
            f" FROM silver.fx_rates f WHERE f.currency = typed.{currency}"
            f" AND f.base_currency = {base}::text AND f.rate_date <= {row_day}"
            " ORDER BY f.rate_date DESC LIMIT 1) END AS fx_rate"
        )
        no_rate = (
            f"fx_rate IS NULL AND {currency} IS NOT NULL AND {quote(fx.date_column)} IS NOT NULL"
        )
        rules.append(f"WHEN {no_rate} THEN '{NO_FX_RATE}'")
        messages.append(
            f"WHEN {no_rate} THEN 'no ' || {currency} || ' rate to ' || {base}::text"
            f" || ' on or before ' || {day} || ': load fx_rates, then replay the rejects'"
        )
        amounts = ", ".join(
            f"round({quote(a)} * fx_rate, 2) AS {quote(a + '_base')}" for a in fx.amounts
        )
        base_select = f", {amounts}"
    else:
        base_select = ""
    # The raw texts serve the rules and messages only: leaving them out halves the width of
    # every row that the later statements sort, join and copy.
    kept = ["source_line", "extras", *(quote(c.name) for c in table.columns)]
    if table.fx is not None:
        kept.append("fx_rate")
    statement = f"""
        CREATE TEMP TABLE stage_checked ON COMMIT DROP AS
        SELECT {", ".join(f"fx.{name}" for name in kept)}{base_select},
            CASE {" ".join(rules) or "WHEN false THEN NULL"} END AS rule,
            CASE {" ".join(messages) or "WHEN false THEN NULL"} END AS message
        FROM (
            SELECT typed.*{fx_select}
            FROM (
                SELECT raw.source_line, raw.extras, {", ".join(typed_select)},
                    {", ".join(_raw(c) for c in table.columns)}
                FROM (SELECT source_line, {", ".join(raw_select)} FROM stage_raw OFFSET 0) raw
                OFFSET 0
            ) typed
            OFFSET 0
        ) fx
    """
    return statement, args


def record_rejects(entity: str, width: int) -> str:
    """Keep every rejected row with its rule, message and raw values. Parameters: $1 bronze file
    id, $2 run id, $3 header names (text[])."""
    values = ", ".join(f"s.c{index}" for index in range(width))
    return f"""
        INSERT INTO silver.rejects AS r
            (entity, bronze_file_id, line_number, raw_row, rule, message, run_id)
        SELECT '{entity}', $1, c.source_line, jsonb_object($3::text[], ARRAY[{values}]::text[]),
            c.rule, c.message, $2
        FROM stage_checked c
        JOIN stage_raw s USING (source_line)
        WHERE c.rule IS NOT NULL
        ON CONFLICT (bronze_file_id, line_number) DO UPDATE SET
            raw_row = EXCLUDED.raw_row, rule = EXCLUDED.rule, message = EXCLUDED.message,
            run_id = EXCLUDED.run_id, rejected_at = now(), resolved_at = NULL,
            resolved_run_id = NULL
    """


def _row(prefix: str, names: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(f"{prefix}.{quote(name)}" for name in names) + ")"


def _key_match(table: SilverTable, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{quote(k)} = {right}.{quote(k)}" for k in table.key)


def deleted_at(table: SilverTable, row: str) -> str:
    """When the key of `row` was deleted from a history table: the end of its last version,
    if no version is current (a scalar subquery; NULL when the key was never deleted)."""
    return (
        f"(SELECT max(h.valid_to) FROM {table.qualified} h"
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
    day_select = ""
    if table.day_column is not None:
        day_select = f", cur.{quote(table.day_column)} AS previous_day"
    partition = ", ".join(f"c.{quote(k)}" for k in table.key)
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
    """


def settle_superseded(table: SilverTable) -> str:
    """Rows beaten by a later row of the same file: an exact repeat is unchanged, else stale."""
    compared = [*table.value_columns, "extras"]
    return f"""
        UPDATE stage_outcomes s
        SET outcome = CASE WHEN {_row("s", compared)} IS NOT DISTINCT FROM {_row("w", compared)}
                           THEN 'unchanged' ELSE 'stale' END
        FROM stage_outcomes w
        WHERE s.outcome = 'superseded' AND w.rank_in_file = 1 AND {_key_match(table, "w", "s")}
    """


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
            """,
                True,
            ),
            (
                f"""
            INSERT INTO {table.qualified} ({names}, bronze_file_id, source_line, loaded_at)
            SELECT {values}, $1, s.source_line, now()
            FROM stage_outcomes s WHERE s.outcome = 'inserted'
            """,
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
        """,
            True,
        ),
        # Type 2 changes: close the current version ...
        (
            f"""
        UPDATE {table.qualified} t SET valid_to = s.updated_at, is_current = false,
            loaded_at = now()
        FROM stage_outcomes s WHERE {match} AND s.outcome = 'versioned'
        """,
            False,
        ),
        # ... and open the new one (new keys too).
        (
            f"""
        INSERT INTO {table.qualified} ({names}, valid_from, valid_to, is_current, is_inferred,
            bronze_file_id, source_line, loaded_at)
        SELECT {values}, s.updated_at, 'infinity', true, false, $1, s.source_line, now()
        FROM stage_outcomes s WHERE s.outcome IN ('inserted', 'versioned')
        """,
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
    """


def mark_dirty_days(table: SilverTable) -> str:
    """Record the business days whose marts must be rebuilt: the days of changed rows, before
    and after the change."""
    assert table.day_column is not None
    day = quote(table.day_column)
    marts = ", ".join(f"('{mart}')" for mart in table.dirty_marts)
    # The distinct (day, previous day) pairs first: a large file has a million changed rows but
    # a few hundred pairs, and unpivoting every row before the DISTINCT takes a second.
    return f"""
        INSERT INTO ops.dirty_days (mart, day)
        SELECT DISTINCT m.mart, d.day
        FROM (
            SELECT DISTINCT (s.{day} AT TIME ZONE 'UTC')::date AS day,
                (s.previous_day AT TIME ZONE 'UTC')::date AS previous_day
            FROM stage_outcomes s
            WHERE s.outcome IN {APPLIED_OUTCOMES}
        ) AS s
        CROSS JOIN LATERAL (VALUES (s.day), (s.previous_day)) AS d (day)
        CROSS JOIN (VALUES {marts}) AS m (mart)
        WHERE d.day IS NOT NULL
        ON CONFLICT DO NOTHING
    """
