"""Time for the simulation: epoch seconds, their CSV text, and when orders arrive.

Demand follows the calendar: a holiday peak and a summer dip, quieter weekends, and a daily
rhythm with morning and evening peaks. A window of time is cut into slices of at most an hour and
each slice gets its share of the orders, so history is shaped like a real shop's.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

HOUR = 3600
DAY = 86400
WEEK = 7 * DAY
# 2024-12-30 is a Monday: weeks are counted from it.
WEEK_ORIGIN = 1735516800
MAX_ORDERS_PER_SLICE = 20_000

_WEEKDAY = (1.0, 1.05, 1.05, 1.0, 0.95, 0.8, 0.7)  # Monday first
_HOUR_OF_DAY = (
    0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.4, 0.7, 1.0, 1.2, 1.25, 1.2,
    1.1, 1.05, 1.0, 0.95, 0.95, 1.0, 1.1, 1.25, 1.3, 1.1, 0.7, 0.35,
)  # fmt: skip


def iso(instant: int) -> str:
    """`2026-11-20T12:00:00Z`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(instant))


def iso_date(instant: int) -> str:
    """`2026-11-20` (UTC)."""
    return time.strftime("%Y-%m-%d", time.gmtime(instant))


def day_start(instant: int) -> int:
    """Midnight UTC of the instant's day."""
    return instant - instant % DAY


def week_index(instant: int) -> int:
    """Weeks since the origin Monday."""
    return (instant - WEEK_ORIGIN) // WEEK


def boundaries(start: int, end: int, step: int, origin: int = 0) -> Iterator[int]:
    """Multiples of `step` (shifted by `origin`) in the window (start, end]."""
    first = start - (start - origin) % step + step
    yield from range(first, end + 1, step)


def demand(instant: int) -> float:
    """Relative order intensity at an instant (1.0 is an ordinary weekday hour)."""
    tm = time.gmtime(instant)
    day_of_year = tm.tm_yday
    # Holiday season peaks in early December; summer dips in July.
    season = (
        1.0
        + 0.35 * math.exp(-(((day_of_year - 340) / 18) ** 2))
        - 0.12 * math.exp(-(((day_of_year - 195) / 30) ** 2))
    )
    return season * _WEEKDAY[tm.tm_wday] * _HOUR_OF_DAY[tm.tm_hour]


@dataclass(frozen=True)
class Slice:
    """A stretch of the window and how many orders are placed in it."""

    start: int
    end: int
    orders: int


def order_slices(start: int, end: int, orders: int) -> list[Slice]:
    """Cut (start, end] into hour slices sharing `orders` by demand (largest remainder)."""
    edges = [start, *boundaries(start, end - 1, HOUR), end]
    spans = [(a, b) for a, b in itertools.pairwise(edges) if b > a]
    weights = [demand(a) * (b - a) for a, b in spans]
    total = sum(weights) or 1.0
    shares = [orders * weight / total for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(spans)), key=lambda i: (counts[i] - shares[i], i))
    for index in by_remainder[: orders - sum(counts)]:
        counts[index] += 1
    slices: list[Slice] = []
    for (a, b), count in zip(spans, counts, strict=True):
        pieces = max(1, math.ceil(count / MAX_ORDERS_PER_SLICE))
        for piece in range(pieces):
            lo = a + (b - a) * piece // pieces
            hi = a + (b - a) * (piece + 1) // pieces
            share = count // pieces + (1 if piece < count % pieces else 0)
            if share:
                slices.append(Slice(lo, hi, share))
    return slices
