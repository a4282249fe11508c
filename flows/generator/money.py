"""Money as integer cents: exact arithmetic, and the decimal text the CSVs carry."""

from __future__ import annotations

from decimal import Decimal


def format_cents(cents: int) -> str:
    """`1234` -> `'12.34'`, `-5` -> `'-0.05'`."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{whole}.{fraction:02d}"


def parse_cents(text: str) -> int:
    """`'12.34'` -> `1234`; raises `ValueError` on anything that is not a decimal amount."""
    return int((Decimal(text.strip()) * 100).to_integral_value())
