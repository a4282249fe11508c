"""Field types whose OpenAPI schema says exactly what validation accepts.

A generated client (or schemathesis) should never build a request that the schema allows and the
service refuses: amounts carry their precision, text its limits, time zones their list.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from shared.openapi_components import named_schema


@cache
def _time_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _known_time_zone(name: str) -> str:
    if name not in _time_zones():
        raise ValueError(f"unknown IANA time zone {name!r}; use a name such as Europe/London")
    return name


def _constant_name(zone: str) -> str:
    """A Python-safe constant for a zone name that no other zone shares.

    Generators derive enum constants from values by dropping punctuation, which makes
    `Etc/GMT+1` and `Etc/GMT-1` (or `GMT+0`, `GMT-0` and `GMT0`) one name; spelling the sign
    out keeps them apart.
    """
    signed = re.sub(r"\+(?=\d)", "_PLUS_", re.sub(r"-(?=\d)", "_MINUS_", zone))
    return re.sub(r"[^A-Za-z0-9]+", "_", signed).strip("_").upper()


TimeZoneName = Annotated[
    str,
    AfterValidator(_known_time_zone),
    named_schema(
        "TimeZone",
        {
            "type": "string",
            "description": "An IANA time zone name.",
            "enum": list(_time_zones()),
            "x-enum-varnames": [_constant_name(zone) for zone in _time_zones()],
            "example": "Europe/London",
        },
    ),
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
    smallest_step = Decimal(1).scaleb(-places)
    largest = float(Decimal(10) ** whole_digits - smallest_step)
    return Annotated[
        Decimal,
        Field(ge=0, max_digits=max_digits, decimal_places=places),
        WithJsonSchema(
            {
                "anyOf": [
                    {
                        "type": "number",
                        "minimum": 0,
                        "maximum": largest,
                        "multipleOf": float(smallest_step),
                    },
                    {
                        "type": "string",
                        "pattern": rf"^\d{{1,{whole_digits}}}(\.\d{{1,{places}}})?$",
                    },
                ]
            }
        ),
    ]


_ISO_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\d[Tt ]")


def _iso_text(value: object) -> object:
    # The validator would read 95 or "95" as seconds since 1970; the schema says ISO 8601.
    if not isinstance(value, datetime) and not (
        isinstance(value, str) and _ISO_DATE_TIME.match(value)
    ):
        raise ValueError("send an ISO 8601 date-time with its offset, e.g. 2026-11-26T08:15:00Z")
    return value


_ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


def _iso_date_text(value: object) -> object:
    # The validator would read 0 or "1764892800" as seconds since 1970; the schema says a date.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    raise ValueError("send an ISO 8601 date, e.g. 2026-11-26")


# A calendar day written as ISO 8601 (YYYY-MM-DD), in query strings and bodies alike.
IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date_text),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _ISO_DATE.pattern}),
]


def _no_text_or_bool(value: object) -> object:
    # The schema says integer: "12" and true are not integers, though the validator would say so.
    if isinstance(value, str | bool):
        raise ValueError("send a JSON integer")
    return value


def whole_number(minimum: int, maximum: int, description: str | None = None) -> Any:
    """A JSON integer in [minimum, maximum] (the bounds first, so the schema shows them)."""
    return Annotated[
        int,
        Field(ge=minimum, le=maximum, description=description),
        BeforeValidator(_no_text_or_bool),
    ]


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)

# An instant with its offset, between 1900 and 2999: the driver reads the extremes of
# PostgreSQL's range as infinity, and no business event is older than 1900.
Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text),
    Field(ge=EARLIEST, le=LATEST),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": r"^(19|2[0-9])[0-9]{2}-",
            "description": "An instant with its UTC offset, years 1900 to 2999.",
        }
    ),
]
