"""Bounded parsing of numbers that arrive in request headers.

`int()` accepts what a header must not carry (non-ASCII digits such as "\\u00b9" pass
`str.isdigit`, "\\u0661" is parsed as 1, "1_000" and " 7 " are accepted) and refuses huge inputs
with a ValueError (more than 4,300 digits): both reached a 500. Only 1-18 ASCII digits are a
number here, which also keeps every value inside PostgreSQL's bigint.
"""

from __future__ import annotations

import re

CONTENT_LENGTH_PROBLEM = "Content-Length must be a number of bytes (ASCII digits)."
_DECIMAL = re.compile(r"[0-9]{1,18}")


def bounded_decimal(text: str) -> int | None:
    """`text` as a non-negative integer when it is 1-18 ASCII digits, else None."""
    return int(text) if _DECIMAL.fullmatch(text) else None
