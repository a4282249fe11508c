"""What a number column can hold, read from its declared PostgreSQL type.

The precision and scale of `numeric(p, s)` and the range of the integer types come from the
catalog of the migrated table, so a migration that widens a column widens the rule with it; no
pattern here is kept by hand. A value that is a number but does not fit its column is rejected as
NUMBER_OUT_OF_RANGE instead of failing the INSERT (and with it the whole file).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from flows.silver.tables import SilverTable

# The integer types by catalog name: their SQL name and their range.
INTEGER_RANGES = {
    "int2": ("smallint", -(2**15), 2**15 - 1),
    "int4": ("integer", -(2**31), 2**31 - 1),
    "int8": ("bigint", -(2**63), 2**63 - 1),
}
# An unconstrained numeric holds far more digits, but a cast of a longer text costs more than
# it is worth: no amount in this platform needs a thousand digits.
UNCONSTRAINED_DIGITS = 1000
# numeric's type modifier: ((precision << 16) | scale) + VARHDRSZ.
_VARHDRSZ = 4

# A plain decimal: what BAD_NUMBER checks; one that does not fit is NUMBER_OUT_OF_RANGE.
DECIMAL_SYNTAX = "^[+-]?[0-9]+([.][0-9]+)?$"
INTEGER_SYNTAX = "^[+-]?[0-9]+$"


@dataclass(frozen=True)
class NumberLimit:
    """The largest value a number column holds: its digits before and after the point (numeric)
    or its range (integers)."""

    sql_type: str
    integer_digits: int
    scale: int = 0
    minimum: int | None = None
    maximum: int | None = None

    @property
    def is_integer(self) -> bool:
        """An integer type, bounded by its range rather than by digits."""
        return self.maximum is not None

    def fitting_pattern(self) -> str:
        """A regular expression matched by exactly the decimal texts the column holds without
        rounding (leading zeros and trailing fraction zeros allowed); for integers, those
        short enough to always fit (the range decides the others)."""
        sign, digits = "^[+-]?0*", self.integer_digits
        if self.is_integer:
            return f"{sign}[0-9]{{1,{digits - 1}}}$"
        whole = f"[0-9]{{1,{digits}}}" if digits else "0"
        fraction = f"([.][0-9]{{1,{self.scale}}}0*)?" if self.scale else "([.]0+)?"
        return f"{sign}{whole}{fraction}$"

    def describe(self) -> str:
        """The limit in words, for reject messages."""
        if self.is_integer:
            return f"{self.sql_type} ({self.minimum} to {self.maximum})"
        return (
            f"{self.sql_type} (at most {self.integer_digits} digits before the point and"
            f" {self.scale} after)"
        )

    @property
    def bound(self) -> str:
        """The smallest magnitude that no longer fits, as an SQL numeric literal (numeric)."""
        return f"1e{self.integer_digits}"


def limit_of(type_name: str, type_modifier: int) -> NumberLimit | None:
    """The limit of a catalog type (`pg_type.typname`, `pg_attribute.atttypmod`); None for
    types that are not numbers."""
    if type_name in INTEGER_RANGES:
        sql_type, low, high = INTEGER_RANGES[type_name]
        return NumberLimit(sql_type, len(str(high)), minimum=low, maximum=high)
    if type_name != "numeric":
        return None
    if type_modifier < _VARHDRSZ:
        return NumberLimit("numeric", UNCONSTRAINED_DIGITS, UNCONSTRAINED_DIGITS)
    precision = ((type_modifier - _VARHDRSZ) >> 16) & 0xFFFF
    scale = (type_modifier - _VARHDRSZ) & 0xFFFF
    return NumberLimit(f"numeric({precision},{scale})", max(precision - scale, 0), scale)


async def number_limits(
    connection: asyncpg.Connection, table: SilverTable
) -> dict[str, NumberLimit]:
    """The limit of every number column of `table`, by column name, from the catalog."""
    rows = await connection.fetch(
        """
        SELECT a.attname AS name, t.typname AS type_name, a.atttypmod AS type_modifier
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
        """,
        table.qualified,
    )
    limits = {row["name"]: limit_of(row["type_name"], row["type_modifier"]) for row in rows}
    return {name: limit for name, limit in limits.items() if limit is not None}
