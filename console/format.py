"""How the console writes numbers, money, percentages and ages (one place, so tests and pages
agree)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def decimal_of(value: Any) -> Decimal | None:
    """The API's number (JSON strings for decimals) as a Decimal; None for null or junk."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money(value: Any, currency: str | None = None) -> str:
    """`1,234.50 USD`; an em dash without a value."""
    number = decimal_of(value)
    if number is None:
        return "—"
    text = f"{number:,.2f}"
    return f"{text} {currency}" if currency else text


def count(value: Any) -> str:
    """`1,234`; an em dash without a value."""
    number = decimal_of(value)
    return "—" if number is None else f"{number:,.0f}"


def percent(ratio: Any, places: int = 1) -> str:
    """A 0..1 ratio as `85.3%`; an em dash without a value."""
    number = decimal_of(ratio)
    return "—" if number is None else f"{number * 100:.{places}f}%"


def change(value: Any, previous: Any) -> tuple[str, str]:
    """The relative change from `previous` to `value` (`+12.3%`) and its direction
    (`up`, `down` or `flat`); `—` when there is no previous value to compare with."""
    now, before = decimal_of(value), decimal_of(previous)
    if now is None or before is None or before == 0:
        return "—", "flat"
    ratio = (now - before) / before * 100
    direction = "up" if ratio > 0 else "down" if ratio < 0 else "flat"
    return f"{ratio:+.1f}%", direction


def age(seconds: Any) -> str:
    """`45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`; an em dash without a value."""
    number = decimal_of(seconds)
    if number is None:
        return "—"
    total = int(number)
    if total < 60:
        return f"{total} s"
    minutes, _ = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
