"""Bad records of every class the silver rules reject, as a table: (class, entity, column, raw
value, expected rule), each a CSV record built from a good row of its entity.

Built to be reused: a landing test can write `case_file(entity, GOOD_ROWS[entity], cases)` beside
other files and expect each case's `rule` and `kept()` raw text in `silver.rejects`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flows.generator.entities import ENTITY_BY_NAME
from flows.silver import rules
from flows.silver.rules import BAD_ENCODING
from flows.silver.staging import shown_as_text

MAX_FIELD_BYTES = 65_536  # the size rule's default (ECOM_MAX_FIELD_BYTES)
# Longer than Python csv's default field limit (128 KiB) too.
LONG_VALUE = b"x" * 200_000

# Good rows: literal timestamps in other accepted forms, the epoch and the present day written
# as literals, all loaded (the special-word rule must not catch them).
GOOD_ROWS: dict[str, list[dict[str, str]]] = {
    "distributors": [
        {
            "distributor_id": "D-GOOD-1",
            "name": "Northern Roasters",
            "region": "north",
            "country": "US",
            "currency": "USD",
            "sla_days": "3",
            "penalty_per_late_day": "12.50",
            "penalty_cap": "999999999999.99",
            "contract_start": "2026-01-01",
            "updated_at": "2026-11-19T10:00:00Z",
        },
        {
            "distributor_id": "D-GOOD-2",
            "name": "Tab\tand \u00e9t\u00e9 caf\u00e9",
            "region": "south",
            "country": "FR",
            "currency": "EUR",
            "sla_days": "0",
            "penalty_per_late_day": "0.00",
            "penalty_cap": "000100.500",
            "contract_start": "1970-01-01",
            "updated_at": "Thu, 19 Nov 2026 10:00:00 GMT",
        },
        {
            "distributor_id": "D-GOOD-3",
            "name": "Epoch Beans",
            "region": "west",
            "sla_days": "1",
            "updated_at": "1970-01-01T00:00:00Z",
        },
        {
            "distributor_id": "D-GOOD-4",
            "name": "Present Beans",
            "region": "east",
            "sla_days": "2",
            "updated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        },
    ],
    "order_items": [
        {
            "order_item_id": "I-GOOD-1",
            "order_id": "O-1",
            "line_number": "1",
            "product_id": "P-1",
            "quantity": "2",
            "unit_price": "5.00",
            "discount_amount": "0.00",
            "line_total": "10.00",
            "currency": "USD",
            "updated_at": "2026-11-19T10:00:00Z",
        }
    ],
}
KEY_COLUMN = {"distributors": "distributor_id", "order_items": "order_item_id"}


@dataclass(frozen=True)
class RecordCase:
    """One bad record: its class, where the bad value goes and the rule it must break."""

    fault: str
    entity: str
    column: str
    value: bytes
    rule: str

    @property
    def key(self) -> str:
        """The record's business key."""
        return f"BAD-{self.fault.replace(' ', '-')}"

    def fields(self) -> dict[str, bytes]:
        """The record's fields: the entity's first good row, this key and the bad value."""
        row = {name: value.encode() for name, value in GOOD_ROWS[self.entity][0].items()}
        return row | {KEY_COLUMN[self.entity]: self.key.encode(), self.column: self.value}

    def record(self) -> bytes:
        """The raw CSV record, in the generator's column order, without a line end."""
        columns = ENTITY_BY_NAME[self.entity].columns
        return b",".join(csv_field(self.fields().get(name, b"")) for name in columns)

    def kept(self) -> str:
        """The bad value as its reject's raw row keeps it."""
        if self.rule == BAD_ENCODING:
            return shown_as_text(self.value.decode("utf-8", "surrogateescape"))
        text = self.value.decode()
        if len(self.value) > MAX_FIELD_BYTES:
            return f"{text[:1024]} [cut: {len(self.value)} bytes]"
        return text


def csv_field(value: bytes) -> bytes:
    """A field quoted as CSV needs it."""
    if any(special in value for special in (b",", b'"', b"\n", b"\r")):
        return b'"' + value.replace(b'"', b'""') + b'"'
    return value


def _d(fault: str, column: str, value: bytes | str, rule: str) -> RecordCase:
    raw = value.encode() if isinstance(value, str) else value
    return RecordCase(fault, "distributors", column, raw, rule)


CASES: list[RecordCase] = [
    _d("latin-1 bytes", "name", b"Caf\xe9 Roasters", BAD_ENCODING),
    _d("nul byte", "name", b"Roast\x00ers", BAD_ENCODING),
    _d("escape sequence", "name", "Roasters\x1b[31m", rules.CONTROL_CHARACTER),
    _d("c1 control", "name", "Roasters\u0085", rules.CONTROL_CHARACTER),
    _d("numeric overflow", "penalty_cap", "1000000000000.00", rules.NUMBER_OUT_OF_RANGE),
    _d("beyond scale", "penalty_per_late_day", "1.005", rules.NUMBER_OUT_OF_RANGE),
    _d("integer overflow", "sla_days", "2147483648", rules.NUMBER_OUT_OF_RANGE),
    _d("thousand digits", "sla_days", "9" * 1000, rules.NUMBER_OUT_OF_RANGE),
    _d("not a number", "penalty_cap", "1e5", rules.BAD_NUMBER),
    _d("infinity", "updated_at", "infinity", rules.SPECIAL_TIMESTAMP),
    _d("minus infinity", "updated_at", "-infinity", rules.SPECIAL_TIMESTAMP),
    _d("now", "updated_at", "now", rules.SPECIAL_TIMESTAMP),
    _d("today", "updated_at", "today", rules.SPECIAL_TIMESTAMP),
    _d("tomorrow at ten", "updated_at", "tomorrow 10:00", rules.SPECIAL_TIMESTAMP),
    _d("yesterday", "updated_at", "YESTERDAY", rules.SPECIAL_TIMESTAMP),
    _d("epoch", "updated_at", "epoch", rules.SPECIAL_TIMESTAMP),
    _d("allballs", "updated_at", "allballs", rules.BAD_TIMESTAMP),
    _d("infinite date", "contract_start", "infinity", rules.BAD_DATE),
    _d("today as a date", "contract_start", "today", rules.BAD_DATE),
    _d("field too long", "name", LONG_VALUE, rules.FIELD_TOO_LONG),
    _d("negative money", "penalty_per_late_day", "-5.00", rules.OUT_OF_DOMAIN),
    _d("negative days", "sla_days", "-1", rules.OUT_OF_DOMAIN),
    RecordCase("zero quantity", "order_items", "quantity", b"0", rules.OUT_OF_DOMAIN),
    RecordCase("negative price", "order_items", "unit_price", b"-1.00", rules.OUT_OF_DOMAIN),
]


def case_file(entity: str, good_rows: list[dict[str, str]], cases: list[RecordCase]) -> bytes:
    """A CSV file of `entity`: the good rows, then each case's record."""
    columns = ENTITY_BY_NAME[entity].columns
    lines = [",".join(columns).encode()]
    for row in good_rows:
        lines.append(b",".join(csv_field(row.get(name, "").encode()) for name in columns))
    lines += [case.record() for case in cases if case.entity == entity]
    return b"\n".join(lines) + b"\n"
