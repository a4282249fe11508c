"""The SQL that stages a file and checks it: typed values and the first rule each row breaks.

`stage_raw` holds the file as text (`c0..cN` in header order, with its CSV record number);
`stage_checked` holds typed values, FX conversion and each row's rule and message; rejected rows
go to `silver.rejects` with their raw values. Identifiers come from the declarations only; header
names from a file travel as bound parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flows.silver.limits import DECIMAL_SYNTAX, INTEGER_SYNTAX, NumberLimit
from flows.silver.rules import (
    BAD_BOOLEAN,
    BAD_DATE,
    BAD_NUMBER,
    BAD_TIMESTAMP,
    CONTROL_CHARACTER,
    CONTROL_CHARACTERS,
    FIELD_TOO_LONG,
    MISSING_REQUIRED,
    NO_FX_RATE,
    NUMBER_OUT_OF_RANGE,
    OUT_OF_DOMAIN,
    SPECIAL_TIMESTAMP,
    SPECIAL_TIMESTAMP_WORDS,
    UNKNOWN_CURRENCY,
)
from flows.silver.staging import kept_text
from flows.silver.tables import Column, ColumnType, SilverTable

_TYPE_RULES = {
    ColumnType.INTEGER: (BAD_NUMBER, "is not a whole number"),
    ColumnType.DECIMAL: (BAD_NUMBER, "is not a decimal number"),
    ColumnType.TIMESTAMP: (BAD_TIMESTAMP, "is not a timestamp"),
    ColumnType.DATE: (BAD_DATE, "is not a date (YYYY-MM-DD)"),
    ColumnType.BOOLEAN: (BAD_BOOLEAN, "is not true or false"),
    ColumnType.CURRENCY: (UNKNOWN_CURRENCY, "is not a known ISO 4217 currency code"),
}
# A special timestamp parses to an instant that is not finite, within a few days of now, or at
# the epoch: only such instants pay for the word search.
_SPECIAL_INSTANTS = (
    "NOT isfinite({v}) OR {v} < '1970-01-03'"
    " OR {v} BETWEEN now() - interval '3 days' AND now() + interval '3 days'"
)
# A long value shown in a reject message is cut to this many characters.
SHOWN_CHARACTERS = 200


@dataclass(frozen=True)
class CheckOptions:
    """What the checks of one staged file depend on besides the table's declaration."""

    base_currency: str
    keep_extras: bool
    max_field_bytes: int
    # Per number column, what its declared type holds (`limits.number_limits`).
    limits: Mapping[str, NumberLimit]
    # Whether the staged text may hold control characters: a file that holds none, as the
    # staging scan saw, skips the per-field search.
    control_characters: bool = True
    # The server has pg_input_is_valid (PostgreSQL 16 and later).
    soft_casts: bool = False
    # The rate of every day (`fx_days`), joined by hash rather than looked up row by row.
    fx_days: FxDays | None = None
    # Timestamp columns every staged value of which casts (`casting_columns`): cast directly.
    casting: frozenset[str] = frozenset()


# The most rows `fx_days` may return (currencies x days from a currency's first rate to the last
# rate of any): ten years of thirty currencies. Rates spanning more are looked up per row.
FX_DAYS_LIMIT = 110_000
# Keeps a level of the check statement a level of its own. The planner merges a subquery into
# the query around it unless the subquery's select list holds a volatile function; merged, an
# expression that several rules read (a typed value, a converted amount) would be computed once
# per reader. The planner folds this CASE to NULL after deciding, so no row computes anything.
# `OFFSET 0`, the usual fence, also keeps the levels apart, but PostgreSQL 15 then runs every
# level above the lowest in the leader alone, while this one leaves all of them to the parallel
# workers (`staging.Stage`).
LEVEL_FENCE = "CASE WHEN false THEN clock_timestamp() END"


@dataclass(frozen=True)
class FxDays:
    """The rate in force on each day, per currency (the rows of `fx_days`). The check binds them
    as arrays, which parallel workers can read, where they cannot read a temporary table."""

    currencies: Sequence[str]
    days: Sequence[date]
    rates: Sequence[Decimal]

    @property
    def last_day(self) -> date | None:
        """The last day with a rate: a later day takes its rate."""
        return max(self.days, default=None)


# Each currency with rates to the base ($1), with its first rate's day, beside the last rate's
# day of any currency: the span `fx_days` covers.
_FX_SPAN = """
    FROM (SELECT currency, min(rate_date) AS first_day FROM silver.fx_rates
          WHERE base_currency = $1 GROUP BY currency) AS r
    CROSS JOIN (SELECT max(rate_date) AS last_day FROM silver.fx_rates
                WHERE base_currency = $1) AS l
"""


def fx_days_size() -> str:
    """The rows `fx_days` would stage. Parameter $1: the base currency."""
    return f"SELECT coalesce(sum(l.last_day - r.first_day + 1), 0) {_FX_SPAN}"  # nosec B608 # a constant FROM clause; values bound


def fx_days() -> str:
    """For each currency with rates to the base, each day from its first rate to the last rate
    of any currency, with the rate in force that day (the latest on or before it): `FxDays`. A
    day after the last rate takes the last day's rate: the latest on or before it too.
    Parameter $1: the base currency."""
    return f"""
        SELECT r.currency, d.day::date AS day, (
            SELECT f.rate FROM silver.fx_rates f
            WHERE f.currency = r.currency AND f.base_currency = $1 AND f.rate_date <= d.day::date
            ORDER BY f.rate_date DESC LIMIT 1
        ) AS rate
        {_FX_SPAN}
        CROSS JOIN LATERAL generate_series(
            r.first_day::timestamp, l.last_day::timestamp, interval '1 day'
        ) AS d (day)
    """  # nosec B608 # a constant FROM clause; values bound


def quote(identifier: str) -> str:
    """A declared identifier, quoted for SQL."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A declared string as an SQL literal."""
    return "'" + text.replace("'", "''") + "'"


def _raw(column: Column) -> str:
    return quote(f"{column.name}__raw")


def _shown(raw: str) -> str:
    """A raw value quoted for a message, cut when long."""
    return f"quote_literal(left({raw}, {SHOWN_CHARACTERS}))"


def _limit(column: Column, options: CheckOptions) -> NumberLimit:
    limit = options.limits.get(column.name)
    if limit is None:
        raise LookupError(f"no number limit for {column.name}: is the table migrated?")
    return limit


def typed_number(column: Column, limit: NumberLimit, raw: str | None = None) -> str:
    """The value when it is a number the column holds exactly, else NULL. The common case
    costs one match; only texts too long for it are checked against the integer range. `raw`:
    the text's expression (by default the raw column's name)."""
    raw = raw or _raw(column)
    fits = f"{raw} ~ '{limit.fitting_pattern()}'"
    if not limit.is_integer:
        return f"CASE WHEN {fits} THEN {raw}::numeric END"
    in_range = (
        f"{raw} ~ '{INTEGER_SYNTAX}' AND octet_length({raw}) <= 64"
        f" AND {raw}::numeric BETWEEN {limit.minimum} AND {limit.maximum}"
    )
    return (
        f"CASE WHEN {fits} THEN {raw}::{limit.sql_type}"
        f" WHEN {in_range} THEN {raw}::numeric::{limit.sql_type} END"
    )


def _typed(column: Column, options: CheckOptions, raw: str) -> str:
    """The typed value of the text `raw` (an expression), NULL when it does not cast. With
    `soft_casts` (PostgreSQL 16+), pg_input_is_valid tests timestamps and dates without the
    subtransaction that the exception block of silver.try_timestamptz and silver.try_date opens
    for every value: on a file of a million orders that subtransaction costs a third of checking
    it."""
    soft_casts = options.soft_casts
    match column.type:
        case ColumnType.TEXT:
            return raw
        case ColumnType.CURRENCY:
            return f"upper({raw})"
        case ColumnType.INTEGER | ColumnType.DECIMAL:
            return typed_number(column, _limit(column, options), raw)
        case ColumnType.TIMESTAMP:
            if column.name in options.casting:
                return f"{raw}::timestamptz"
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


def staged_text(header: StagedHeader, column: Column) -> str | None:
    """The staged text of a declared column, as the checks read it (trimmed, empty as NULL);
    None when the file does not carry the column."""
    position = header.positions.get(column.source_name)
    return None if position is None else f"nullif(btrim(c{position}), '')"


def casting_columns(table: SilverTable, header: StagedHeader) -> dict[str, str]:
    """For each timestamp column the file carries, its name and its staged text cast, which fails
    at the first value that does not cast. Without soft casts (PostgreSQL 15) the check casts a
    timestamp carefully, in silver.try_timestamptz's exception block: a subtransaction per value,
    2.5 s per column of a million orders where the plain cast takes 0.6 s. A column whose values
    all cast (`casting_query`) is cast directly instead; a file with a bad value in a column pays
    a pass more, and its column is cast carefully."""
    casts = {}
    for column in table.columns:
        text = staged_text(header, column)
        if column.type is ColumnType.TIMESTAMP and text is not None:
            casts[column.name] = f"{text}::timestamptz"
    return casts


def casting_query(casts: list[str]) -> str:
    """One pass over the staged rows casting every value of each of `casts` (from
    `casting_columns`): it fails unless every value casts."""
    counts = ", ".join(f"count({cast})" for cast in casts)
    return f"SELECT {counts} FROM stage_raw"  # nosec B608 # casts of declared columns


def _is_bad(column: Column) -> str:
    raw, name = _raw(column), quote(column.name)
    if column.type is ColumnType.TEXT:
        return "false"
    if column.type is ColumnType.CURRENCY:
        return f"{raw} IS NOT NULL AND {name} NOT IN (SELECT code FROM silver.currencies)"  # nosec B608 # columns from SILVER_TABLES declarations; values bound
    if column.type is ColumnType.INTEGER:
        return f"{name} IS NULL AND {raw} !~ '{INTEGER_SYNTAX}'"
    if column.type is ColumnType.DECIMAL:
        return f"{name} IS NULL AND {raw} !~ '{DECIMAL_SYNTAX}'"
    return f"{name} IS NULL AND {raw} IS NOT NULL"


def column_rules(column: Column, options: CheckOptions) -> list[tuple[str, str, str]]:
    """(condition, rule, message) of each rule one column's value can break, in order."""
    raw, name, source = _raw(column), quote(column.name), column.source_name
    rules: list[tuple[str, str, str]] = []
    if column.type in _TYPE_RULES:
        rule, text = _TYPE_RULES[column.type]
        rules.append((_is_bad(column), rule, f"'{source} ' || {_shown(raw)} || ' {text}'"))
    if column.type in (ColumnType.INTEGER, ColumnType.DECIMAL):
        limit = _limit(column, options)
        rules.append(
            (
                f"{name} IS NULL AND {raw} IS NOT NULL",
                NUMBER_OUT_OF_RANGE,
                f"'{source} ' || {_shown(raw)} || ' does not fit {limit.describe()}'",
            )
        )
    if column.type is ColumnType.TIMESTAMP:
        rules.append(
            (
                f"{name} IS NOT NULL AND ({_SPECIAL_INSTANTS.format(v=name)})"
                f" AND {raw} ~* '{SPECIAL_TIMESTAMP_WORDS}'",
                SPECIAL_TIMESTAMP,
                f"'{source} ' || {_shown(raw)} || ' is a special value, not a finite literal"
                " timestamp'",
            )
        )
    if column.domain is not None:
        rules.append(
            (
                f"NOT ({name} {column.domain.value})",
                OUT_OF_DOMAIN,
                f"'{source} ' || {_shown(raw)} || ' must be {column.domain.value}'",
            )
        )
    return rules


def _field_checks(header: StagedHeader, options: CheckOptions, names: str) -> list[str]:
    """The staged fields' record-level facts, for the rules: the first field longer than the
    size rule allows, and (if the file may hold any) the first holding a control character."""
    fields = range(header.width)
    long = " ".join(
        f"WHEN octet_length(c{i}) > {options.max_field_bytes} THEN ({names}::text[])[{i + 1}]"
        for i in fields
    )
    selected = [f"CASE {long or 'WHEN false THEN NULL'} END AS long_field"]
    if options.control_characters and header.width:
        control = " ".join(
            f"WHEN c{i} ~ '{CONTROL_CHARACTERS}' THEN ({names}::text[])[{i + 1}]" for i in fields
        )
        selected.append(f"CASE {control} END AS control_field")
    else:
        selected.append("NULL::text AS control_field")
    return selected


@dataclass(frozen=True)
class StagedHeader:
    """Where each declared column sits in a staged file, and which headers are extra."""

    positions: dict[str, int]  # source column name -> c<index>
    extra_positions: dict[str, int]  # unknown header -> c<index>, kept in `extras`
    width: int
    names: tuple[str, ...] = ()  # the header as staged, for messages naming a field

    @classmethod
    def from_header(cls, table: SilverTable, header: list[str]) -> StagedHeader:
        """Map a file's header onto the table; the first of repeated names wins."""
        positions: dict[str, int] = {}
        extras: dict[str, int] = {}
        for index, name in enumerate(header):
            target = positions if name in table.source_columns else extras
            target.setdefault(name, index)
        return cls(positions, extras, len(header), tuple(header))

    def missing(self, table: SilverTable) -> list[str]:
        """Declared source columns the file does not carry."""
        return [c.source_name for c in table.columns if c.source_name not in self.positions]


def checked_rows(
    table: SilverTable, header: StagedHeader, options: CheckOptions
) -> tuple[str, list[object]]:
    """CREATE the typed, rule-checked copy of `stage_raw`; returns the statement and its
    arguments (the header names; the base currency and the day rates when money converts; the
    extra header names when kept)."""
    args: list[object] = []

    def bind(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    names = bind(list(header.names))
    base = bind(options.base_currency) if table.fx is not None else ""
    texts = {c.name: staged_text(header, c) or "NULL::text" for c in table.columns}
    trimmed = ["source_line", *(f"{texts[c.name]} AS {_raw(c)}" for c in table.columns)]
    if options.keep_extras and header.extra_positions:
        # A value past the size rule stays out: its row is rejected, and jsonb could not hold
        # the largest texts anyway.
        values = ", ".join(
            f"CASE WHEN octet_length(c{i}) <= {options.max_field_bytes}"
            f" THEN nullif(btrim(c{i}), '') END"
            for i in header.extra_positions.values()
        )
        extra_names = bind(list(header.extra_positions))
        trimmed.append(
            f"jsonb_strip_nulls(jsonb_object({extra_names}::text[], ARRAY[{values}]::text[]))"
            " AS extras"
        )
    else:
        trimmed.append("'{}'::jsonb AS extras")
    trimmed += _field_checks(header, options, names)
    typed = [f"{_typed(c, options, _raw(c))} AS {quote(c.name)}" for c in table.columns]
    checks: list[tuple[str, str, str]] = [
        (
            "long_field IS NOT NULL",
            FIELD_TOO_LONG,
            f"long_field || ' is longer than {options.max_field_bytes} bytes (the size rule,"
            " ECOM_MAX_FIELD_BYTES)'",
        ),
        (
            "control_field IS NOT NULL",
            CONTROL_CHARACTER,
            "control_field || ' holds a control character'",
        ),
    ]
    checks += [
        (f"{_raw(c)} IS NULL", MISSING_REQUIRED, f"'{c.source_name} is empty'")
        for c in table.columns
        if c.required
    ]
    for column in table.columns:
        checks += column_rules(column, options)
    # Each level computes its expressions once for the levels above: the trimmed texts feed the
    # casts, the typed values the FX lookup and the rules, and a row's message is worked out
    # only when it broke a rule. Every level is computed by the parallel workers (LEVEL_FENCE).
    rows = _level(trimmed, "stage_raw", "trimmed")
    rows = _level(["trimmed.*", *typed], f"({rows}) AS trimmed", "typed")
    if table.fx is not None:
        rate, fx_join, converted, fx_checks = _fx_conversion(table, options, base, bind)
        rows = _level(["typed.*", f"{rate} AS fx_rate"], f"({rows}) AS typed{fx_join}", "fx")
        rows = _level(["fx.*", *converted], f"({rows}) AS fx", "converted")
        checks += fx_checks
    rules = " ".join(f"WHEN {condition} THEN '{rule}'" for condition, rule, _ in checks)
    messages = " ".join(f"WHEN {condition} THEN {message}" for condition, _, message in checks)
    rows = _level(["checked.*", f"CASE {rules} END AS rule"], f"({rows}) AS checked", "ruled")
    # The raw texts serve the rules and messages only: leaving them out halves the width of
    # every row that the later statements sort, join and copy.
    kept = ["source_line", "extras", *(quote(c.name) for c in table.columns)]
    if table.fx is not None:
        kept += ["fx_rate", *(quote(f"{a}_base") for a in table.fx.amounts)]
    statement = f"""
        CREATE TEMP TABLE stage_checked ON COMMIT DROP AS
        SELECT {", ".join(f"ruled.{name}" for name in kept)}, ruled.rule,
            CASE WHEN ruled.rule IS NOT NULL THEN CASE {messages} END END AS message
        FROM ({rows}) AS ruled
    """  # nosec B608 # columns from SILVER_TABLES declarations; values bound
    return statement, args


def _level(selected: list[str], source: str, name: str) -> str:
    """One level of the check statement: `selected` from `source`, kept apart (LEVEL_FENCE)."""
    return f"SELECT {', '.join(selected)}, {LEVEL_FENCE} AS {name}_level FROM {source}"  # nosec B608 # columns from SILVER_TABLES declarations; values bound


def _fx_conversion(
    table: SilverTable, options: CheckOptions, base: str, bind: Callable[[object], str]
) -> tuple[str, str, list[str], list[tuple[str, str, str]]]:
    """The rate of a typed row (with the join to the day rates it reads when
    `options.fx_days`), the converted amounts (rounded to their columns' scale; select items of
    the rows with their rate) and the rules of conversion: a rate must exist, and a converted
    amount must fit its column. `bind` binds a value and returns its parameter."""
    assert table.fx is not None
    fx = table.fx
    currency, day = quote(fx.currency), f"({quote(fx.date_column)} AT TIME ZONE 'UTC')::date"
    # Qualified: fx_rates and the day rates have columns called currency too, and an
    # unqualified name would mean theirs.
    row_day = f"(typed.{quote(fx.date_column)} AT TIME ZONE 'UTC')::date"
    if options.fx_days is not None:
        # A hash join over a few thousand days instead of an index probe per row; least() sends
        # a day past the last rate to the last day, and a row without a day finds no rate.
        days = options.fx_days
        rate = "fx_day.rate"
        fx_join = (
            f" LEFT JOIN unnest({bind(list(days.currencies))}::text[],"
            f" {bind(list(days.days))}::date[], {bind(list(days.rates))}::numeric[])"
            f" AS fx_day (currency, day, rate) ON fx_day.currency = typed.{currency}"
            f" AND fx_day.day = least({row_day}, {bind(days.last_day)}::date)"
            f" AND {row_day} IS NOT NULL"
        )
    else:
        rate = (
            f"(SELECT f.rate FROM silver.fx_rates f WHERE f.currency = typed.{currency}"  # nosec B608 # columns from SILVER_TABLES declarations; values bound
            f" AND f.base_currency = {base}::text AND f.rate_date <= {row_day}"
            " ORDER BY f.rate_date DESC LIMIT 1)"
        )
        fx_join = ""
    rate = f"CASE WHEN typed.{currency} = {base}::text THEN 1::numeric ELSE {rate} END"
    no_rate = f"fx_rate IS NULL AND {currency} IS NOT NULL AND {quote(fx.date_column)} IS NOT NULL"
    checks = [
        (
            no_rate,
            NO_FX_RATE,
            f"'no ' || {currency} || ' rate to ' || {base}::text || ' on or before ' || {day}"
            " || ': load fx_rates, then replay the rejects'",
        )
    ]
    converted = []
    for amount in fx.amounts:
        name = quote(f"{amount}_base")
        limit = options.limits[f"{amount}_base"]
        converted.append(f"round(fx.{quote(amount)} * fx.fx_rate, {limit.scale}) AS {name}")
        checks.append(
            (
                f"abs({name}) >= {limit.bound}",
                NUMBER_OUT_OF_RANGE,
                f"'{amount} in ' || {base}::text || ' (' || {name} || ') does not fit"
                f" {limit.describe()}'",
            )
        )
    return rate, fx_join, converted, checks


def record_rejects(entity: str, width: int, max_field_bytes: int) -> str:
    """Keep every rejected row with its rule, message and raw values. Parameters: $1 bronze file
    id, $2 run id, $3 header names (text[])."""
    values = ", ".join(kept_text(f"s.c{index}", max_field_bytes) for index in range(width))
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
    """  # nosec B608 # columns from SILVER_TABLES declarations; values bound
