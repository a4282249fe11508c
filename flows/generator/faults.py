"""Faults injected on purpose, and the manifest that says how the pipeline must treat each.

Row faults break or repeat one row of a file; file faults change a whole file. Each kind has a
rate; every injected fault becomes one manifest record naming the entity, file, CSV record number
(the header is record 1), the kind and the expected outcome, so tests and the pipeline's own checks
can prove that each fault was handled.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from flows.generator.entities import EntitySpec
from flows.generator.vocabulary import AWKWARD_TEXTS, FORMULA_TEXTS, NON_ASCII_NAMES


class FaultKind(StrEnum):
    """What was done to the data."""

    DUPLICATE_ROW = "duplicate_row"
    NEWER_UPDATE = "newer_update"
    STALE_UPDATE = "stale_update"
    MISSING_REQUIRED = "missing_required"
    MALFORMED_NUMBER = "malformed_number"
    MALFORMED_TIMESTAMP = "malformed_timestamp"
    UNKNOWN_CURRENCY = "unknown_currency"
    MIXED_TIMESTAMP_FORMAT = "mixed_timestamp_format"
    FORMULA_TEXT = "formula_text"
    NON_ASCII_TEXT = "non_ascii_text"
    QUOTED_COMMA_NEWLINE = "quoted_comma_newline"
    ORPHAN_PARENT = "orphan_parent"
    SCHEMA_DRIFT = "schema_drift"
    REORDERED_COLUMNS = "reordered_columns"
    UTF8_BOM = "utf8_bom"
    DUPLICATE_FILE = "duplicate_file"


class Outcome(StrEnum):
    """What the pipeline must make of a fault."""

    APPLIED = "applied"  # the row (or file) loads as written, normalised
    UNCHANGED = "unchanged"  # an exact repeat: counted, changes nothing
    STALE = "stale"  # older than what silver holds: counted, not applied
    REJECTED = "rejected"  # kept in silver.rejects with `rule`
    INFERRED_PARENT = "inferred_parent"  # loads; its missing parent is inferred until it arrives
    DRIFT = "drift"  # unknown column kept in `extras` and logged as schema drift
    FILE_DEDUPLICATED = "file_deduplicated"  # same content already in bronze: recorded once


ROW_FAULTS = (
    FaultKind.DUPLICATE_ROW,
    FaultKind.NEWER_UPDATE,
    FaultKind.STALE_UPDATE,
    FaultKind.MISSING_REQUIRED,
    FaultKind.MALFORMED_NUMBER,
    FaultKind.MALFORMED_TIMESTAMP,
    FaultKind.UNKNOWN_CURRENCY,
    FaultKind.MIXED_TIMESTAMP_FORMAT,
    FaultKind.FORMULA_TEXT,
    FaultKind.NON_ASCII_TEXT,
    FaultKind.QUOTED_COMMA_NEWLINE,
)
FILE_FAULTS = (
    FaultKind.SCHEMA_DRIFT,
    FaultKind.REORDERED_COLUMNS,
    FaultKind.UTF8_BOM,
    FaultKind.DUPLICATE_FILE,
)
REJECT_RULES = {
    FaultKind.MISSING_REQUIRED: "MISSING_REQUIRED",
    FaultKind.MALFORMED_NUMBER: "BAD_NUMBER",
    FaultKind.MALFORMED_TIMESTAMP: "BAD_TIMESTAMP",
    FaultKind.UNKNOWN_CURRENCY: "UNKNOWN_CURRENCY",
}
DEFAULT_RATES: dict[FaultKind, float] = {
    **dict.fromkeys(ROW_FAULTS, 0.003),
    FaultKind.ORPHAN_PARENT: 0.03,  # share of new customers whose row arrives a batch late
    FaultKind.SCHEMA_DRIFT: 0.2,
    FaultKind.REORDERED_COLUMNS: 0.05,
    FaultKind.UTF8_BOM: 0.05,
    FaultKind.DUPLICATE_FILE: 0.03,
}
_MALFORMED_NUMBERS = (
    "{whole},{cents}",
    "{whole}O.{cents}",
    "${whole}.{cents}",
    "{whole}.{cents}.5",
)
_MALFORMED_TIMESTAMPS = (
    "2026-02-30T10:00:00Z",
    "2026-11-20T25:61:00Z",
    "not a date",
    "0000-00-00 00:00:00",
)
_UNKNOWN_CURRENCIES = ("ZZZ", "US$", "EURO", "BTC")
_OFFSETS = (-5, -8, 1, 9.5)


@dataclass(frozen=True)
class FaultRecord:
    """One injected fault and the outcome the pipeline must produce."""

    entity: str
    file: str
    line: int | None
    kind: FaultKind
    expected: Outcome
    key: dict[str, str]
    rule: str | None = None
    column: str | None = None
    detail: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The manifest's JSON object for this record (no null fields)."""
        record = {
            "entity": self.entity,
            "file": self.file,
            "line": self.line,
            "kind": self.kind.value,
            "expected": self.expected.value,
            "key": self.key,
            "rule": self.rule,
            "column": self.column,
            "detail": self.detail,
        }
        return {name: value for name, value in record.items() if value is not None}


def reformat_timestamp(text: str, rng: random.Random) -> str | None:
    """The same instant in another accepted format or zone; None if `text` is not ISO UTC."""
    try:
        instant = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    style = rng.randrange(5)
    if style == 0:
        return instant.strftime("%Y-%m-%d %H:%M:%S+00")
    if style == 1:
        offset = timezone(timedelta(hours=rng.choice(_OFFSETS)))
        return instant.astimezone(offset).isoformat()
    if style == 2:
        return instant.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if style == 3:
        return instant.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return instant.strftime("%Y/%m/%d %H:%M:%S UTC")


@dataclass
class FileFaults:
    """The file-level faults chosen for one file."""

    drift: bool = False
    column_order: list[int] | None = None
    bom: bool = False
    duplicate: bool = False


@dataclass
class FaultInjector:
    """Decides and applies faults for one file; the simulation never sees them."""

    spec: EntitySpec
    file: str
    rates: dict[FaultKind, float]
    rng: random.Random
    record: Callable[[FaultRecord], None]
    file_faults: FileFaults = field(default_factory=FileFaults)

    def __post_init__(self) -> None:
        self._row_kinds = [kind for kind in ROW_FAULTS if self._applies(kind)]
        self._row_rate = sum(self.rates.get(kind, 0.0) for kind in self._row_kinds)
        self._cumulative: list[float] = []
        total = 0.0
        for kind in self._row_kinds:
            total += self.rates.get(kind, 0.0)
            self._cumulative.append(total)

    def _applies(self, kind: FaultKind) -> bool:
        spec = self.spec
        return {
            FaultKind.MALFORMED_NUMBER: bool(spec.numbers),
            FaultKind.UNKNOWN_CURRENCY: spec.currency is not None,
            FaultKind.MIXED_TIMESTAMP_FORMAT: bool(spec.timestamps),
            FaultKind.FORMULA_TEXT: bool(spec.text),
            FaultKind.NON_ASCII_TEXT: "first_name" in spec.columns,
            FaultKind.QUOTED_COMMA_NEWLINE: bool(spec.text),
        }.get(kind, True)

    def choose_file_faults(self) -> FileFaults:
        """Roll the file-level faults once, before the header is written."""
        rates, rng = self.rates, self.rng
        faults = FileFaults(
            drift=self.spec.drift_column is not None
            and rng.random() < rates.get(FaultKind.SCHEMA_DRIFT, 0),
            bom=rng.random() < rates.get(FaultKind.UTF8_BOM, 0),
            duplicate=rng.random() < rates.get(FaultKind.DUPLICATE_FILE, 0),
        )
        if rng.random() < rates.get(FaultKind.REORDERED_COLUMNS, 0):
            width = len(self.spec.columns) + (1 if faults.drift else 0)
            order = list(range(width))
            while order == sorted(order):
                rng.shuffle(order)
            faults.column_order = order
        self.file_faults = faults
        for kind, active in (
            (FaultKind.SCHEMA_DRIFT, faults.drift),
            (FaultKind.REORDERED_COLUMNS, faults.column_order is not None),
            (FaultKind.UTF8_BOM, faults.bom),
        ):
            if active:
                expected = Outcome.DRIFT if kind is FaultKind.SCHEMA_DRIFT else Outcome.APPLIED
                column = self.spec.drift_column if kind is FaultKind.SCHEMA_DRIFT else None
                self.record(
                    FaultRecord(self.spec.name, self.file, None, kind, expected, {}, column=column)
                )
        return faults

    def _key(self, row: list[str]) -> dict[str, str]:
        columns = self.spec.columns
        return {name: row[columns.index(name)] for name in self.spec.key}

    def apply(self, row: list[str], line: int) -> list[tuple[list[str], FaultRecord | None]]:
        """The rows to write for one generated row (itself, changed or repeated)."""
        if self._row_rate == 0 or self.rng.random() >= self._row_rate:
            return [(row, None)]
        pick = self.rng.random() * self._row_rate
        kind = next(
            k for k, edge in zip(self._row_kinds, self._cumulative, strict=True) if pick < edge
        )
        return self._inject(kind, row, line)

    def _inject(
        self, kind: FaultKind, row: list[str], line: int
    ) -> list[tuple[list[str], FaultRecord | None]]:
        spec, rng = self.spec, self.rng
        columns = spec.columns
        key = self._key(row)

        def record(
            expected: Outcome, at: int, column: str | None = None, detail: str | None = None
        ) -> FaultRecord:
            return FaultRecord(
                spec.name,
                self.file,
                at,
                kind,
                expected,
                key,
                REJECT_RULES.get(kind),
                column,
                detail,
            )

        changed = list(row)
        if kind is FaultKind.DUPLICATE_ROW:
            return [(row, None), (list(row), record(Outcome.UNCHANGED, line + 1))]
        if kind in (FaultKind.NEWER_UPDATE, FaultKind.STALE_UPDATE):
            position = columns.index("updated_at")
            instant = datetime.strptime(row[position], "%Y-%m-%dT%H:%M:%SZ")
            newer = kind is FaultKind.NEWER_UPDATE
            shift = timedelta(seconds=1) if newer else -timedelta(minutes=rng.randint(5, 2880))
            changed[position] = (instant + shift).strftime("%Y-%m-%dT%H:%M:%SZ")
            expected = Outcome.APPLIED if newer else Outcome.STALE
            detail = f"updated_at {changed[position]}"
            return [(row, None), (changed, record(expected, line + 1, "updated_at", detail))]
        if kind is FaultKind.MISSING_REQUIRED:
            column = rng.choice([c for c in spec.required if c != "updated_at"])
            changed[columns.index(column)] = ""
            return [(changed, record(Outcome.REJECTED, line, column))]
        if kind is FaultKind.MALFORMED_NUMBER:
            column = rng.choice(spec.numbers)
            whole, _, cents = (row[columns.index(column)] or "0.00").partition(".")
            garbled = rng.choice(_MALFORMED_NUMBERS).format(whole=whole, cents=cents or "00")
            changed[columns.index(column)] = garbled
            return [(changed, record(Outcome.REJECTED, line, column, garbled))]
        if kind is FaultKind.MALFORMED_TIMESTAMP:
            column = rng.choice([c for c in spec.timestamps if row[columns.index(c)]])
            changed[columns.index(column)] = garbled = rng.choice(_MALFORMED_TIMESTAMPS)
            return [(changed, record(Outcome.REJECTED, line, column, garbled))]
        if kind is FaultKind.UNKNOWN_CURRENCY:
            assert spec.currency is not None
            changed[columns.index(spec.currency)] = code = rng.choice(_UNKNOWN_CURRENCIES)
            return [(changed, record(Outcome.REJECTED, line, spec.currency, code))]
        if kind is FaultKind.MIXED_TIMESTAMP_FORMAT:
            column = rng.choice([c for c in spec.timestamps if row[columns.index(c)]])
            original = row[columns.index(column)]
            reformatted = reformat_timestamp(original, rng)
            if reformatted is None:
                return [(row, None)]
            changed[columns.index(column)] = reformatted
            detail = f"{reformatted} is {original}"
            return [(changed, record(Outcome.APPLIED, line, column, detail))]
        if kind is FaultKind.NON_ASCII_TEXT:
            first, last = rng.choice(NON_ASCII_NAMES)
            changed[columns.index("first_name")] = first
            changed[columns.index("last_name")] = last
            return [(changed, record(Outcome.APPLIED, line, "last_name", f"{first} {last}"))]
        column = rng.choice(spec.text)
        pool = FORMULA_TEXTS if kind is FaultKind.FORMULA_TEXT else AWKWARD_TEXTS
        changed[columns.index(column)] = text = rng.choice(pool)
        return [(changed, record(Outcome.APPLIED, line, column, text))]
