"""The business report: rendered from generated data run through the pipeline, its first page
rasterised with pdftoppm, its KPIs equal to the admin API's; and the weekly-report flow."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.testing.utilities import prefect_test_harness

from deploy.reports.build import write_report
from deploy.reports.flow import ARTIFACT_KEY, weekly_report, weekly_report_deployment
from deploy.reports.period import ReportPeriod, resolve_period
from flows.generator import GenerateRequest, generate
from flows.gold import GoldFlow
from flows.pipeline import run_data_pipeline, run_gold_flow
from flows.settings import FlowSettings
from services.admin.app import create_app
from services.loyalty.app import create_app as create_app_loyalty
from shared.identity import Role
from shared.objectstore import ObjectStore
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.generator.lake_files import AS_OF
from tests.flows.s3_lake import on_s3
from tests.services.admin.conftest import admin_settings
from tests.services.conftest import client_for, identity_headers
from tests.services.loyalty.conftest import loyalty_settings

NOW = AS_OF + timedelta(hours=1)


async def _pipeline_with_history(settings: FlowSettings, days: int = 21) -> None:
    """Three weeks of generated orders (faults included) through the pipeline and gold flows."""
    generate(settings, GenerateRequest(days=days, seed=11, as_of=AS_OF))
    await run_data_pipeline(settings)
    for gold_flow in (GoldFlow.LOYALTY_RECOMMENDATIONS, GoldFlow.TRUST_TRANSPARENCY):
        await run_gold_flow(settings, gold_flow)


def _first_page_png(pdf: bytes, folder: Path) -> Path:
    source = folder / "report.pdf"
    source.write_bytes(pdf)
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (Debian poppler-utils) is needed; .ci/run installs it"
    subprocess.run(  # a fixed tool on a file this test wrote
        [pdftoppm, "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(source),
         str(folder / "page1")],
        check=True,
        timeout=60,
    )  # fmt: skip
    return folder / "page1.png"


def _first_page_text(pdf: Path) -> str:
    """The first page's text as pdftotext (poppler) reads it, in its layout."""
    command = ["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60).stdout


def test_default_period_is_the_seven_complete_days_before_the_newest_order_day() -> None:
    today = date(2026, 12, 6)
    assert resolve_period(None, None, date(2026, 11, 20), today) == ReportPeriod(
        date(2026, 11, 13), date(2026, 11, 19)
    )
    # An empty mart (or one dated ahead): the seven days before today.
    assert resolve_period(None, None, None, today) == ReportPeriod(
        date(2026, 11, 29), date(2026, 12, 5)
    )
    assert resolve_period(date(2026, 11, 1), None, None, today).last == date(2026, 11, 7)
    assert ReportPeriod(date(2026, 11, 13), date(2026, 11, 19)).previous() == ReportPeriod(
        date(2026, 11, 6), date(2026, 11, 12)
    )
    with pytest.raises(ValueError, match="must not be after"):
        ReportPeriod(date(2026, 11, 2), date(2026, 11, 1))


async def test_report_renders_and_its_kpis_equal_the_admin_api(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase, tmp_path: Path
) -> None:
    await _pipeline_with_history(flow_settings)

    result = await write_report(flow_settings, now=NOW)

    period = result.period
    assert period == ReportPeriod(date(2026, 11, 13), date(2026, 11, 19))
    folder = "reports/2026-11-13_2026-11-19"
    assert result.pdf_key == f"{folder}/report.pdf"
    for key in ("report.pdf", "report.md", "report.json", "charts/revenue_by_day.png"):
        assert lake.exists(f"{folder}/{key}"), key
    pdf = lake.read_bytes(result.pdf_key)
    assert pdf.startswith(b"%PDF-")
    png = _first_page_png(pdf, tmp_path)
    assert png.stat().st_size > 30_000, "a blank or near-empty page"
    with Image.open(png) as image:
        assert image.size[0] > 800, "A4 portrait at 110 dpi"
        assert image.size[1] > 1100
        pixels = image.size[0] * image.size[1]
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
        ink = sum(count for count, colour in colours if colour != (255, 255, 255))
        assert 0.05 < ink / pixels < 0.6, "text, a table and charts on a white page"
        # The stacked bars: a colour per channel (plus black text and grey rules) in bulk.
        assert len([colour for count, colour in colours if count > 2_000]) >= 6

    # The same period through the real admin service, as a viewer would ask for it.
    previous = period.previous()
    async for http in client_for(create_app(admin_settings(database, tmp_path))):
        headers = identity_headers(Role.VIEWER)
        now_api = await http.get(
            "/api/admin/kpis/summary",
            params={"from": str(period.first), "to": str(period.last)},
            headers=headers,
        )
        before_api = await http.get(
            "/api/admin/kpis/summary",
            params={"from": str(previous.first), "to": str(previous.last)},
            headers=headers,
        )
        admin = identity_headers(Role.ADMIN)
        rejects_api = await http.get(
            "/api/admin/pipeline/rejects", params={"limit": 1}, headers=admin
        )
        marts_api = await http.get("/api/admin/pipeline/marts", headers=admin)
    async for http in client_for(create_app_loyalty(loyalty_settings(database, tmp_path))):
        segments_api = await http.get(
            "/api/loyalty/segments", headers=identity_headers(Role.VIEWER)
        )
    assert now_api.status_code == before_api.status_code == 200
    stored = json.loads(lake.read_bytes(f"{folder}/report.json"))
    assert stored["kpis"] == now_api.json()
    assert stored["previous_kpis"] == before_api.json()
    assert now_api.json()["orders"] > 0
    assert before_api.json()["orders"] > 0
    # And the text the reader sees carries those numbers.
    markdown = lake.read_bytes(result.markdown_key).decode()
    current, before = now_api.json(), before_api.json()
    assert f"| Orders | {current['orders']:,} | {before['orders']:,} |" in markdown
    revenue = f"{float(current['net_revenue']):,.2f} {current['currency']}"
    assert f"| Net revenue | {revenue} |" in markdown
    # The PDF's first page shows them too (its text, as pdftotext from poppler reads it).
    page_text = _first_page_text(tmp_path / "report.pdf")
    orders_line = next(line for line in page_text.splitlines() if "Orders" in line).split()
    assert orders_line == ["Orders", f"{current['orders']:,}", f"{before['orders']:,}",
                           *orders_line[3:]]  # fmt: skip
    assert revenue in page_text
    # Revenue by day and channel adds up to the period's net revenue.
    total = sum(row.net_revenue for row in result.data.revenue_by_channel)
    assert f"{total:.2f}" == f"{float(current['net_revenue']):.2f}"
    # Every section is there, the data-quality one with the run that loaded the data.
    for section in (
        "## Headline KPIs", "## Revenue by day and channel", "## Customer segments",
        "## Top recommendations and bundles", "## Trust badges and SLA breaches",
        "## Data quality", "### Rejected rows by rule", "### Mart freshness",
    ):  # fmt: skip
        assert section in markdown, section
    assert result.data.runs, "the pipeline runs since the period's start are listed"
    # Data quality and segments: the admin and loyalty APIs' numbers too.
    assert sum(count.rows for count in result.data.rejects) == rejects_api.json()["count"] > 0
    assert [(m.mart, m.rows, m.contract_status) for m in result.data.freshness] == [
        (m["mart"], m["rows"], m["contract_status"]) for m in marts_api.json()
    ]
    assert stored["segments"] == {s["segment"]: s["customers"] for s in segments_api.json()["data"]}


async def test_a_later_report_shows_segment_movement_against_the_earlier_one(
    flow_settings: FlowSettings, lake: ObjectStore
) -> None:
    await _pipeline_with_history(flow_settings, days=10)
    first = await write_report(flow_settings, now=NOW)
    assert first.data.previous_segments is None

    later = await write_report(
        flow_settings, first.period.last + timedelta(days=1), first.period.last + timedelta(days=1)
    )

    assert later.data.previous_report == first.period.slug
    assert later.data.previous_segments == {
        segment.segment: segment.customers for segment in first.data.segments.data
    }
    assert "Movement is against the previous report" in lake.read_bytes(later.markdown_key).decode()


def test_weekly_report_deployment_has_its_schedule(tmp_path: Path) -> None:
    settings = FlowSettings(_env_file=None, data_dir=tmp_path, weekly_report_schedule="0 7 * * 1")
    report = weekly_report_deployment(settings)
    assert (report.flow_name, report.name) == ("weekly_report", "weekly-report")
    assert report.schedules
    [schedule] = report.schedules
    assert schedule.schedule.cron == "0 7 * * 1"  # type: ignore[union-attr]


async def test_weekly_report_flow_publishes_the_headline_and_a_link(
    flow_settings: FlowSettings,
    lake: ObjectStore,
    database: TestDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _pipeline_with_history(flow_settings, days=10)
    monkeypatch.setenv("ECOM_DATABASE_URL", database.role_url(Owner.FLOWS))
    monkeypatch.setenv("ECOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ECOM_OBJECT_STORE_URL", lake.root_url)

    with prefect_test_harness(server_startup_timeout=120):
        line = await weekly_report(date(2026, 11, 13), date(2026, 11, 19))
        async with get_client() as client:
            [artifact] = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[ARTIFACT_KEY]))
            )

    pdf_url = lake.url("reports/2026-11-13_2026-11-19/report.pdf")
    assert pdf_url in line
    text = str(artifact.data)
    assert f"[report.pdf]({pdf_url})" in text
    stored = json.loads(lake.read_bytes("reports/2026-11-13_2026-11-19/report.json"))
    latest = json.loads(lake.read_bytes("reports/latest.json"))
    assert latest["pdf"] == "reports/2026-11-13_2026-11-19/report.pdf"
    orders = next(row for row in stored["headline"] if row[0] == "Orders")
    assert f"| {' | '.join(orders)} |" in text
    assert stored["kpis"]["orders"] > 0
    assert datetime.fromisoformat(stored["generated_at"]) > datetime(2026, 1, 1, tzinfo=UTC)


async def test_ecom_report_writes_to_an_s3_lake_and_refuses_a_reversed_period(
    flow_settings: FlowSettings, database: TestDatabase, request: pytest.FixtureRequest
) -> None:
    settings = on_s3(flow_settings, request)
    await _pipeline_with_history(settings, days=10)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECOM_", "PREFECT_"))}
    env.update({
        "ECOM_DATA_DIR": str(settings.data_dir), "ECOM_LOG_LEVEL": "WARNING",
        "ECOM_DATABASE_URL": database.role_url(Owner.FLOWS),
        "ECOM_OBJECT_STORE_URL": settings.lake_url,
        "ECOM_S3_ENDPOINT_URL": str(settings.s3_endpoint_url),
        "ECOM_S3_ACCESS_KEY_ID": "testing", "ECOM_S3_SECRET_ACCESS_KEY": "testing",
    })  # fmt: skip

    def ecom(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "deploy.cli", "report", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)

    done = await asyncio.to_thread(ecom, "--from", "2026-11-16", "--to", "2026-11-19")

    assert done.returncode == 0, done.stderr
    lake = ObjectStore.from_settings(settings)
    key = "reports/2026-11-16_2026-11-19/report.pdf"
    assert lake.url(key) in done.stdout
    assert lake.read_bytes(key).startswith(b"%PDF-")
    assert "| Orders |" in done.stdout
    stored = json.loads(lake.read_bytes("reports/2026-11-16_2026-11-19/report.json"))
    assert stored["kpis"]["days"] == 4
    reversed_period = await asyncio.to_thread(ecom, "--from", "2026-11-19", "--to", "2026-11-16")
    assert reversed_period.returncode == 2
    assert "must not be after --to" in reversed_period.stderr
