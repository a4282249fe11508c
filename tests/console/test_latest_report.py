"""The dashboard links the latest business report: "No report yet" before `ecom report`, then
the report's period linking to its PDF, which the console fetches from the API as the user."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Browser, Page, expect

from deploy.reports.build import ReportResult, write_report
from flows.settings import FlowSettings
from shared.identity import Role
from shared.latest_report import REPORTS_PREFIX
from shared.objectstore import ObjectStore
from shared.owners import Owner
from tests.console.conftest import ConsoleStack

SignIn = Callable[[Page, Role], None]


def _flow_settings(stack: ConsoleStack) -> FlowSettings:
    return FlowSettings(
        _env_file=None,
        data_dir=stack.data_dir,
        database_url=stack.database.role_url(Owner.FLOWS),
    )


def _write_report(stack: ConsoleStack) -> ReportResult:
    """`ecom report`'s work on the stack's marts and lake, in a thread of its own (Playwright's
    sync API keeps an event loop running in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, write_report(_flow_settings(stack))).result()


@pytest.fixture
def no_reports(console_stack: ConsoleStack) -> Iterator[ObjectStore]:
    """The stack's lake without reports, before and after the test (other tests see none)."""
    lake = ObjectStore.from_settings(_flow_settings(console_stack))
    folder = console_stack.data_dir / "lake" / REPORTS_PREFIX
    shutil.rmtree(folder, ignore_errors=True)
    try:
        yield lake
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_dashboard_links_the_latest_report_and_its_pdf(
    page: Page,
    sign_in: SignIn,
    console_stack: ConsoleStack,
    no_reports: ObjectStore,
    browser: Browser,
) -> None:
    sign_in(page, Role.VIEWER)
    expect(page.get_by_test_id("latest-report")).to_have_text("No report yet — run ecom report.")

    result = _write_report(console_stack)
    page.reload()

    latest = console_stack.api(Role.VIEWER, "/api/admin/reports/latest")
    period = f"{latest['period_from']} to {latest['period_to']}"
    assert period == f"{result.period.first} to {result.period.last}"
    link = page.get_by_test_id("latest-report").get_by_role("link", name=f"{period} (PDF)")
    expect(page.get_by_test_id("latest-report")).to_have_text(f"Latest report: {period} (PDF)")
    href = link.get_attribute("href")
    assert href is not None
    download = page.request.get(href)
    assert download.status == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.body() == no_reports.read_bytes(result.pdf_key)
    assert download.body().startswith(b"%PDF-")

    stranger = browser.new_context(base_url=console_stack.url)
    try:
        anonymous = stranger.request.get(href, max_redirects=0)
        assert anonymous.status == 303
        assert b"%PDF" not in anonymous.body()
    finally:
        stranger.close()
