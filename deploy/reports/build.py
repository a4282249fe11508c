"""Write the business report of a period into the lake's `reports/<from>_<to>/`:
`report.pdf`, its Markdown source `report.md`, the charts as PNG under `charts/` and the
headline numbers and segment sizes as `report.json` (the next report's segment movement);
`reports/latest.json` names the report written last (its layout: shared/latest_report.py)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from deploy.reports.content import headline_rows, report_blocks
from deploy.reports.data import ReportData, gather
from deploy.reports.document import Chart, chart_png, to_markdown, to_pdf
from deploy.reports.period import ReportPeriod, resolve_period
from flows.settings import FlowSettings
from services.admin.entities.revenue import newest_order_day
from shared.database import create_engine, resolve_database_url
from shared.latest_report import (
    REPORTS_PREFIX,
    LatestReport,
    ReportSpan,
    record_latest_report,
    report_folder,
)
from shared.objectstore import ObjectStore
from shared.owners import Owner


@dataclass(frozen=True)
class ReportResult:
    """Where the report went and its headline table."""

    period: ReportPeriod
    pdf_key: str
    markdown_key: str
    pdf_url: str
    markdown_url: str
    headline: list[tuple[str, str, str, str]]
    data: ReportData

    def headline_markdown(self) -> str:
        """The headline KPIs as a Markdown table."""
        lines = ["| KPI | This period | Previous period | Change |", "| --- | ---: | ---: | ---: |"]
        lines.extend(f"| {' | '.join(row)} |" for row in self.headline)
        return "\n".join(lines)


def _previous_segments(
    store: ObjectStore, period: ReportPeriod
) -> tuple[str, dict[str, int]] | None:
    """The segment sizes of the newest earlier report in the lake (one that ends before this
    period ends), with its folder name."""
    earlier: list[tuple[date, str]] = []
    for key in store.list(f"{REPORTS_PREFIX}/"):
        parts = key.split("/")
        if len(parts) != 3 or parts[2] != "report.json":
            continue
        try:
            last = date.fromisoformat(parts[1].split("_")[1])
        except (IndexError, ValueError):
            continue
        if last < period.last:
            earlier.append((last, key))
    if not earlier:
        return None
    _, key = max(earlier)
    stored = json.loads(store.read_bytes(key))
    return key.split("/")[1], {name: int(count) for name, count in stored["segments"].items()}


async def _read(
    settings: FlowSettings, first: date | None, last: date | None, now: datetime
) -> ReportData:
    engine = create_engine(resolve_database_url(settings, Owner.FLOWS), pool_size=1)
    try:
        async with AsyncSession(engine) as session:
            newest = await newest_order_day(session)
            period = resolve_period(first, last, newest, now.date())
            return await gather(session, period, now)
    finally:
        await engine.dispose()


def _summary_json(data: ReportData, headline: list[tuple[str, str, str, str]]) -> bytes:
    summary = {
        "period": {"from": data.period.first.isoformat(), "to": data.period.last.isoformat()},
        "generated_at": data.generated_at.isoformat(),
        "kpis": data.current.model_dump(mode="json"),
        "previous_kpis": data.previous.model_dump(mode="json"),
        "headline": [list(row) for row in headline],
        "segments": {segment.segment: segment.customers for segment in data.segments.data},
    }
    return json.dumps(summary, indent=2).encode()


async def write_report(
    settings: FlowSettings,
    first: date | None = None,
    last: date | None = None,
    now: datetime | None = None,
) -> ReportResult:
    """Read the marts, render the report of the period and write it under `reports/`."""
    now = now or datetime.now(UTC)
    data = await _read(settings, first, last, now)
    store = ObjectStore.from_settings(settings)
    folder = report_folder(data.period.first, data.period.last)
    previous = await asyncio.to_thread(_previous_segments, store, data.period)
    if previous is not None:
        data.previous_report, data.previous_segments = previous
    blocks = report_blocks(data)
    headline = headline_rows(data)

    def render_and_store() -> None:
        for block in blocks:
            if isinstance(block, Chart):
                store.write_atomic(f"{folder}/charts/{block.name}.png", chart_png(block))
        store.write_atomic(f"{folder}/report.md", to_markdown(blocks).encode())
        pdf = to_pdf(
            blocks,
            footer=f"Business report {data.period.describe()}",
            metadata={"Title": f"Business report {data.period.describe()}", "Author": "ecom"},
        )
        store.write_atomic(f"{folder}/report.pdf", pdf)
        store.write_atomic(f"{folder}/report.json", _summary_json(data, headline))
        latest = LatestReport(
            period=ReportSpan(first=data.period.first, last=data.period.last),
            generated_at=data.generated_at,
            pdf=f"{folder}/report.pdf",
            markdown=f"{folder}/report.md",
        )
        record_latest_report(store, latest)

    await asyncio.to_thread(render_and_store)
    return ReportResult(
        period=data.period,
        pdf_key=f"{folder}/report.pdf",
        markdown_key=f"{folder}/report.md",
        pdf_url=store.url(f"{folder}/report.pdf"),
        markdown_url=store.url(f"{folder}/report.md"),
        headline=headline,
        data=data,
    )
