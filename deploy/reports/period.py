"""The days a report covers, and the period before them that its KPIs compare against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

DEFAULT_DAYS = 7


@dataclass(frozen=True)
class ReportPeriod:
    """Whole UTC days from `first` to `last`, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise ValueError(f"--from ({self.first}) must not be after --to ({self.last})")

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.last - self.first).days + 1

    def previous(self) -> ReportPeriod:
        """The period of the same length that ends the day before this one starts."""
        return ReportPeriod(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    @property
    def starts_at(self) -> datetime:
        """Midnight UTC at the start of `first`."""
        return datetime.combine(self.first, time(), tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        """Midnight UTC after `last` (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=UTC)

    @property
    def slug(self) -> str:
        """The folder name of the report under `reports/`."""
        return f"{self.first.isoformat()}_{self.last.isoformat()}"

    def describe(self) -> str:
        """E.g. `2026-11-13 to 2026-11-19 (7 days)`."""
        return f"{self.first.isoformat()} to {self.last.isoformat()} ({self.days} days)"


def default_period(newest_day: date | None, today: date) -> ReportPeriod:
    """The last seven complete days: those before the revenue mart's newest order date (which
    may still be filling), or before today (UTC) when the mart is empty or its newest day is
    in the future."""
    end = min(newest_day, today) if newest_day is not None else today
    last = end - timedelta(days=1)
    return ReportPeriod(last - timedelta(days=DEFAULT_DAYS - 1), last)


def resolve_period(
    first: date | None, last: date | None, newest_day: date | None, today: date
) -> ReportPeriod:
    """The period asked for: both ends, one end and seven days, or the default."""
    if first is not None and last is not None:
        return ReportPeriod(first, last)
    if first is not None:
        return ReportPeriod(first, first + timedelta(days=DEFAULT_DAYS - 1))
    if last is not None:
        return ReportPeriod(last - timedelta(days=DEFAULT_DAYS - 1), last)
    return default_period(newest_day, today)
