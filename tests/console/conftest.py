"""The console in a real browser against a real stack, built once per session.

`console_stack`: a database migrated from the session's template, generated data run through
the pipeline once, the four services and the gateway (which serves the console at `/`) on
loopback ports, in local mode. `browser`: Debian's Chromium, headless (per module). `page`: a
fresh browser context (no cookies) per test. `sign_in(page, role)`: the local one-click sign-in.
`screenshot(page, name)`: a PNG of the screen under CONSOLE_SCREENSHOTS (git-ignored).
`accessibility(page)`: axe-core's serious and critical WCAG 2.1 AA violations on the page.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from pydantic import SecretStr

from flows.generator import GenerateRequest, generate
from flows.gold.build import GoldFlow
from flows.pipeline import run_data_pipeline, run_gold_flow
from flows.settings import FlowSettings
from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from shared.bootstrap import ensure_schemas_and_grants
from shared.database import asyncpg_dsn
from shared.identity import Role, issue_token
from shared.objectstore import ObjectStore
from shared.owners import Owner
from shared.settings import RuntimeMode
from tests.conftest import TestDatabase
from tests.e2e.conftest import INTERNAL_SECRET, JWT_SECRET, SERVICES
from tests.flows.orders_csv import order_row, render_orders_csv
from tests.servers import ThreadedServers

CHROMIUM = "/usr/bin/chromium"  # Debian's package; .ci/run installs it
ROOT = Path(__file__).parents[2]
CONSOLE_SCREENSHOTS = ROOT / "build" / "console-screenshots"  # build/ is git-ignored
# The generated business: two weeks of orders up to a fixed instant, so trends have 14 days.
AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STAFF_ROLES = (Role.ADMIN, Role.EDITOR, Role.CSR, Role.VIEWER)


@dataclass(frozen=True)
class ConsoleStack:
    """A running stack: the gateway's URL (console at `/`), its database and data folder."""

    url: str
    database: TestDatabase
    data_dir: Path

    def token(self, role: Role, sub: str | None = None) -> str:
        """A bearer token of the stack's gateway for `role`."""
        return issue_token(JWT_SECRET, role, sub or f"test-{role.value}")

    def api(self, role: Role, path: str, **params: Any) -> Any:
        """The JSON body of `GET path` through the gateway as `role` (what the console shows)."""
        response = httpx.get(
            f"{self.url}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.token(role, f'console-{role.value}')}"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()


def _create_database(superuser_url: str, template: str) -> TestDatabase:
    async def create() -> TestDatabase:
        name = f"ecom_console_{uuid.uuid4().hex[:12]}"
        maintenance = await asyncpg.connect(asyncpg_dsn(superuser_url))
        try:
            await maintenance.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await maintenance.close()
        database = TestDatabase(superuser_url, name)
        connection = await asyncpg.connect(asyncpg_dsn(database.url))
        try:
            await ensure_schemas_and_grants(connection, name)
        finally:
            await connection.close()
        return database

    return asyncio.run(create())


def _drop_database(superuser_url: str, name: str) -> None:
    async def drop() -> None:
        maintenance = await asyncpg.connect(asyncpg_dsn(superuser_url))
        try:
            await maintenance.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await maintenance.close()

    asyncio.run(drop())


BAD_ROWS_FILE = "landing/orders/console-bad-rows.csv"
QUARANTINED_FILE = "landing/orders/console-no-header.csv"
REJECTED_ORDER_IDS = ("console-bad-status-1", "console-bad-status-2")


def _land_bad_files(lake: ObjectStore) -> None:
    """What the pipeline screen must show: a file without a header (quarantined) and a file
    with two rows a record rule rejects among good ones."""
    headerless = render_orders_csv([order_row("console-nh-1"), order_row("console-nh-2")])
    lake.write_atomic(QUARANTINED_FILE, headerless.split(b"\n", 1)[1])
    good = [order_row(f"console-ok-{n}") for n in range(20)]
    bad = [order_row(order_id, total_amount="twelve") for order_id in REJECTED_ORDER_IDS]
    lake.write_atomic(BAD_ROWS_FILE, render_orders_csv(good + bad))


def _load_business(database: TestDatabase, data_dir: Path) -> None:
    """Generated orders (two weeks) through the data pipeline, then the loyalty and trust flows
    (as `ecom up` runs them), once."""
    settings = FlowSettings(
        _env_file=None, data_dir=data_dir, database_url=database.role_url(Owner.FLOWS)
    )
    generate(settings, GenerateRequest(days=14, seed=18, as_of=AS_OF, clean=True))
    _land_bad_files(ObjectStore.from_settings(settings))

    async def run() -> None:
        await run_data_pipeline(settings)
        await run_gold_flow(settings, GoldFlow.LOYALTY_RECOMMENDATIONS)
        await run_gold_flow(settings, GoldFlow.TRUST_TRANSPARENCY)

    asyncio.run(run())


@pytest.fixture(scope="session")
def console_stack(postgres_superuser_url: str, template_database: str) -> Iterator[ConsoleStack]:
    """The whole platform on loopback, with data, the gateway in local mode (one-click sign-in)."""
    data_dir = Path(tempfile.mkdtemp(prefix="ecom-console-"))
    database = _create_database(postgres_superuser_url, template_database)
    servers = ThreadedServers()
    try:
        _load_business(database, data_dir)
        urls: dict[str, Any] = {}
        for owner, (create_app, settings_class) in SERVICES.items():
            settings = settings_class(
                _env_file=None,
                data_dir=data_dir,
                internal_secret=SecretStr(INTERNAL_SECRET),
                database_url=database.role_url(owner),
            )
            urls[f"{owner.value}_service_url"] = servers.start(create_app(settings))
        gateway = create_gateway(
            GatewaySettings(
                _env_file=None,
                mode=RuntimeMode.LOCAL,
                data_dir=data_dir,
                jwt_secret=SecretStr(JWT_SECRET),
                internal_secret=SecretStr(INTERNAL_SECRET),
                rate_limit_per_s=100_000,
                **urls,
            )
        )
        yield ConsoleStack(servers.start(gateway), database, data_dir)
    finally:
        servers.stop_all()
        _drop_database(postgres_superuser_url, database.name)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def playwright_driver(console_stack: ConsoleStack) -> Iterator[Playwright]:
    """Playwright's driver, per module. Its sync API keeps an event loop running in this
    thread until it stops, so the stack (which runs asyncio itself) is built first, and no
    other module's async tests run while it is alive."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless (Playwright downloads no browser of its own)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    chromium = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def page(browser: Browser, console_stack: ConsoleStack) -> Iterator[Page]:
    """A page in a fresh context (no cookies) whose relative URLs are the console's."""
    context = browser.new_context(base_url=console_stack.url)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in_as(page: Page, role: Role) -> None:
    """The local one-click sign-in as `role`; lands on the dashboard."""
    page.goto("/sign-in")
    page.get_by_role("button", name=f"Sign in as {role.value}").click()
    page.wait_for_url("**/")


@pytest.fixture
def sign_in() -> Callable[[Page, Role], None]:
    """`sign_in(page, role)`: one click on the sign-in screen (local mode)."""
    return sign_in_as


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """`screenshot(page, name)`: the full page as build/console-screenshots/<name>.png."""

    def take(page: Page, name: str) -> Path:
        CONSOLE_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = CONSOLE_SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# axe-core rule tags of WCAG 2.0 and 2.1, levels A and AA.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page, one line each
    (rule, impact, how many nodes, the first node's selector)."""
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_AA_TAGS}, "resultTypes": ["violations"]},
    )
    return [
        f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes, "
        f"e.g. {violation['nodes'][0]['target']}): {violation['help']}"
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


@pytest.fixture
def accessibility() -> Callable[[Page], list[str]]:
    """`accessibility(page)`: the page's serious/critical WCAG 2.1 AA violations (axe-core)."""
    return serious_violations
