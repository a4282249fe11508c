"""Field types whose OpenAPI schema says exactly what validation accepts.

A generated client (or schemathesis) should never build a request that the schema allows and the
service refuses: amounts carry their precision, text its limits, time zones their list.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema


@cache
def _time_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _known_time_zone(name: str) -> str:
    if name not in _time_zones():
        raise ValueError(f"unknown IANA time zone {name!r}; use a name such as Europe/London")
    return name


TimeZoneName = Annotated[
    str,
    AfterValidator(_known_time_zone),
    WithJsonSchema({"type": "string", "enum": list(_time_zones()), "example": "Europe/London"}),
]


def text_field(max_length: int) -> Any:
    """Non-empty text up to `max_length`, without NUL characters (PostgreSQL cannot store them).

    Kept as sent: trimming would accept strings the schema calls invalid, and JSON Schema
    regexes (ECMA) and the validator's regexes disagree about some whitespace characters.
    """
    return Annotated[
        str, StringConstraints(min_length=1, max_length=max_length, pattern=r"^[^\x00]*$")
    ]


def decimal_amount(max_digits: int, places: int = 2) -> Any:
    """A non-negative decimal with `places` decimals, as a JSON number or numeric string."""
    whole_digits = max_digits - places
    largest = float(Decimal(10) ** whole_digits - Decimal(1) / Decimal(10) ** places)
    return Annotated[
        Decimal,
        Field(ge=0, max_digits=max_digits, decimal_places=places),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "number", "minimum": 0, "maximum": largest, "multipleOf": 0.01},
                    {
                        "type": "string",
                        "pattern": rf"^\d{{1,{whole_digits}}}(\.\d{{1,{places}}})?$",
                    },
                ]
            }
        ),
    ]
