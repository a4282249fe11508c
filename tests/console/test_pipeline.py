"""The pipeline screen in Chromium: quarantined files, rejects by rule with raw rows, a run's
ledger, the two actions (their problem shown readably), and admins only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from shared.identity import Role
from tests.console.conftest import (
    BAD_ROWS_FILE,
    QUARANTINED_FILE,
    REJECTED_ORDER_IDS,
    ConsoleStack,
)

SignIn = Callable[[Page, Role], None]
Screenshot = Callable[[Page, str], Path]


def open_pipeline(page: Page, sign_in: SignIn) -> None:
    sign_in(page, Role.ADMIN)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Pipeline").click()
    expect(page.get_by_role("heading", name="Pipeline", exact=True)).to_be_visible()


def test_the_pipeline_screen_lists_the_quarantined_file(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack, screenshot: Screenshot
) -> None:
    open_pipeline(page, sign_in)
    [quarantined] = console_stack.api(
        Role.ADMIN, "/api/admin/pipeline/quarantine", status="quarantined"
    )["data"]

    row = page.get_by_test_id("quarantine").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(QUARANTINED_FILE)
    expect(row).to_contain_text(quarantined["error_class"])
    expect(row.get_by_role("button", name=f"Retry {QUARANTINED_FILE}")).to_be_visible()
    marts = console_stack.api(Role.ADMIN, "/api/admin/pipeline/marts")
    expect(page.get_by_test_id("marts").locator("tbody tr")).to_have_count(len(marts))
    runs = console_stack.api(Role.ADMIN, "/api/admin/pipeline/runs", limit=20)
    expect(page.get_by_test_id("runs").locator("tbody tr")).to_have_count(len(runs["data"]))
    screenshot(page, "pipeline")


def test_rejects_by_rule_open_their_raw_rows(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack, screenshot: Screenshot
) -> None:
    open_pipeline(page, sign_in)
    rejects = console_stack.api(Role.ADMIN, "/api/admin/pipeline/rejects", resolved="false")
    [rule] = {row["rule"] for row in rejects["data"]}

    by_rule = page.get_by_test_id("rejects-by-rule").locator("tbody tr")
    expect(by_rule).to_have_count(1)
    expect(by_rule).to_contain_text(rule)
    expect(by_rule.locator("td.num")).to_have_text(str(rejects["count"]))
    by_rule.get_by_role("link", name="Show the rows").click()

    raw = page.get_by_test_id("raw-row")
    expect(raw).to_have_count(len(REJECTED_ORDER_IDS))
    for order_id in REJECTED_ORDER_IDS:
        expect(page.get_by_test_id("rejects")).to_contain_text(f'"order_id": "{order_id}"')
    expect(page.get_by_test_id("rejects")).to_contain_text('"total_amount": "twelve"')
    screenshot(page, "pipeline-rejects")


def test_a_runs_ledger_names_its_files(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    open_pipeline(page, sign_in)
    runs = console_stack.api(Role.ADMIN, "/api/admin/pipeline/runs", kind="incremental")
    [first] = [run for run in runs["data"] if run["files"] > 0]
    detail = console_stack.api(Role.ADMIN, f"/api/admin/pipeline/runs/{first['run_id']}")

    page.get_by_role("link", name=first["started_at"]).click()

    expect(page.get_by_role("heading", name=f"Run {first['run_id']}")).to_be_visible()
    ledger = page.get_by_test_id("ledger").locator("tbody tr")
    expect(ledger).to_have_count(len(detail["ledger"]))
    expect(page.get_by_test_id("ledger")).to_contain_text(BAD_ROWS_FILE.rsplit("/", 1)[1])


def test_actions_show_the_apis_problem_as_a_readable_message(page: Page, sign_in: SignIn) -> None:
    open_pipeline(page, sign_in)
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmation of console.js

    page.get_by_role("button", name=f"Retry {QUARANTINED_FILE}").click()

    # The stack has no Prefect server: the API answers 503 and says so.
    problem = page.get_by_test_id("problem")
    expect(problem).to_be_visible()
    expect(problem).not_to_contain_text("{")
    assert len(problem.inner_text().strip()) > 10
    expect(page.get_by_test_id("quarantine")).to_contain_text(QUARANTINED_FILE)

    page.get_by_role("button", name="Replay all open rejects").click()
    expect(page.get_by_test_id("problem")).to_be_visible()


def test_the_pipeline_screen_is_for_admins_only(page: Page, sign_in: SignIn) -> None:
    sign_in(page, Role.EDITOR)

    expect(page.get_by_role("navigation", name="Screens").get_by_role("link")).not_to_contain_text(
        ["Pipeline"]
    )
    response = page.goto("/pipeline")

    assert response is not None
    assert response.status == 403
    expect(page.get_by_test_id("problem")).to_contain_text("needs the admin role")
