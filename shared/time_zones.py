"""IANA time zone names as a validated field type, for every service that stores one."""

from __future__ import annotations

from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, Field


@cache
def known_time_zones() -> frozenset[str]:
    """Every IANA zone name this machine's tz database knows (read once: it is slow)."""
    return frozenset(available_timezones())


def _known_time_zone(name: str) -> str:
    if name not in known_time_zones():
        raise ValueError(f"unknown IANA time zone {name!r}")
    return name


TimeZoneName = Annotated[
    str,
    AfterValidator(_known_time_zone),
    Field(max_length=64, description="IANA time zone name, e.g. Europe/London."),
]
