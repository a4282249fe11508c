"""`reports/latest.json` in the lake: which business report was written last.

The report writer (deploy/reports) records each report here and the admin service reads it to
serve the latest report to the console, so the layout is stated once, here:

    {"period": {"from": "2026-11-13", "to": "2026-11-19"},
     "generated_at": "2026-11-20T07:00:00+00:00",
     "pdf": "reports/2026-11-13_2026-11-19/report.pdf",
     "markdown": "reports/2026-11-13_2026-11-19/report.md"}
"""

from __future__ import annotations

import json
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.objectstore import ObjectStore

REPORTS_PREFIX = "reports"
LATEST_REPORT_KEY = f"{REPORTS_PREFIX}/latest.json"


class ReportSpan(BaseModel):
    """The days a report covers, both included."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    first: date = Field(alias="from")
    last: date = Field(alias="to")


class LatestReport(BaseModel):
    """The record of the newest report: its period, when it was made and its objects' keys."""

    model_config = ConfigDict(frozen=True)

    period: ReportSpan
    generated_at: datetime
    pdf: str = Field(description="Key of the PDF in the lake.")
    markdown: str = Field(description="Key of the PDF's Markdown source in the lake.")

    def to_json(self) -> bytes:
        """The record as `reports/latest.json` holds it."""
        return json.dumps(self.model_dump(mode="json", by_alias=True), indent=2).encode()


class LatestReportUnreadable(Exception):  # noqa: N818 - names the state of the lake
    """`reports/latest.json` exists but is not a record of this layout."""


def report_folder(first: date, last: date) -> str:
    """The lake folder of the report of `first`..`last`: `reports/<from>_<to>`."""
    return f"{REPORTS_PREFIX}/{first.isoformat()}_{last.isoformat()}"


def record_latest_report(store: ObjectStore, latest: LatestReport) -> None:
    """Name `latest` as the newest report (readers see the old record or the new one)."""
    store.write_atomic(LATEST_REPORT_KEY, latest.to_json())


def read_latest_report(store: ObjectStore) -> LatestReport | None:
    """The newest report's record; None when no report was written yet."""
    if not store.exists(LATEST_REPORT_KEY):
        return None
    try:
        return LatestReport.model_validate_json(store.read_bytes(LATEST_REPORT_KEY))
    except ValidationError as error:
        raise LatestReportUnreadable(
            f"{LATEST_REPORT_KEY}: {error.error_count()} errors"
        ) from error
