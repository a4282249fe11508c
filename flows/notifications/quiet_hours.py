"""Quiet hours: a daily local-time window (possibly across midnight) when nothing is delivered."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

logger = logging.getLogger(__name__)


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The IANA zone `name`, or UTC (with a warning) when it is unknown or empty."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            logger.warning("unknown time zone %r: quiet hours read in UTC", name)
    return ZoneInfo("UTC")


def quiet_hours_end(
    moment: datetime, start: time | None, end: time | None, zone: str | None
) -> datetime | None:
    """When `moment` falls inside the quiet window [start, end) of local time in `zone`, the
    UTC instant the window ends; None when it does not (or there are no quiet hours).

    A window whose end is before its start crosses midnight (22:00-07:00); equal times make an
    empty window, as the reminders service documents.
    """
    if moment.tzinfo is None:
        raise ValueError("quiet_hours_end needs an aware datetime")
    if start is None or end is None or start == end:
        return None
    tz = zone_or_utc(zone)
    local = moment.astimezone(tz)
    clock = local.time()
    if start < end:
        if not start <= clock < end:
            return None
        end_day = local.date()
    else:
        if end <= clock < start:
            return None
        # Before midnight the window ends tomorrow; after midnight, today.
        end_day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=tz).astimezone(UTC)
