"""axe-core (WCAG 2.1 A and AA rules) on every console screen finds no serious or critical
violation; each screen is also kept as a screenshot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from shared.identity import Role
from tests.console.conftest import ConsoleStack

SignIn = Callable[[Page, Role], None]
Screenshot = Callable[[Page, str], Path]
Accessibility = Callable[[Page], list[str]]


def test_sign_in_screen(page: Page, accessibility: Accessibility) -> None:
    page.goto("/sign-in")
    page.get_by_label("Token or API key").fill("bad")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_test_id("problem")).to_be_visible()

    assert accessibility(page) == []


@pytest.mark.parametrize(
    ("role", "path", "name"),
    [
        (Role.VIEWER, "/", "dashboard"),
        (Role.ADMIN, "/pipeline", "pipeline"),
        (Role.ADMIN, "/pipeline/rejects?entity=orders", "pipeline-rejects"),
        (Role.VIEWER, "/loyalty", "loyalty"),
        (Role.VIEWER, "/trust", "trust"),
        (Role.CSR, "/reminders", "reminders"),
        (Role.VIEWER, "/reminders/outbox", "reminders-outbox"),
        (Role.CSR, "/reminders/csrs", "reminders-csrs"),
        (Role.EDITOR, "/admin/products", "admin-products"),
        (Role.VIEWER, "/admin/customers", "admin-customers"),
        (Role.ADMIN, "/admin/orders", "admin-orders"),
        (Role.ADMIN, "/admin/audit", "admin-audit"),
        (Role.VIEWER, "/pipeline", "forbidden"),
        (Role.VIEWER, "/no-such-screen", "not-found"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_screens(
    page: Page,
    sign_in: SignIn,
    accessibility: Accessibility,
    screenshot: Screenshot,
    role: Role,
    path: str,
    name: str,
) -> None:
    sign_in(page, role)
    page.goto(path)
    # Open the charts' tables too, so their markup is checked.
    for summary in page.locator("details > summary").all():
        summary.click()

    assert accessibility(page) == []
    screenshot(page, f"a11y-{name}")


def test_run_detail_screen(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack, accessibility: Accessibility
) -> None:
    [run] = console_stack.api(Role.ADMIN, "/api/admin/pipeline/runs", limit=1)["data"]
    sign_in(page, Role.ADMIN)
    page.goto(f"/pipeline/runs/{run['run_id']}")
    expect(page.get_by_test_id("run")).to_be_visible()

    assert accessibility(page) == []


def test_the_check_finds_a_serious_violation_when_there_is_one(
    page: Page, accessibility: Accessibility
) -> None:
    page.set_content(
        '<html lang="en"><title>t</title><main><h1>x</h1>'
        '<input type="text"><p style="color:#eee;background:#fff">faint</p></main></html>'
    )

    found = accessibility(page)

    assert any(line.startswith("label ") for line in found), found
    assert any(line.startswith("color-contrast ") for line in found), found


def test_keyboard_reaches_the_skip_link_then_the_screens_in_order(
    page: Page, sign_in: SignIn
) -> None:
    sign_in(page, Role.ADMIN)

    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.textContent.trim()")
    page.keyboard.press("Tab")
    second = page.evaluate("document.activeElement.textContent.trim()")
    page.keyboard.press("Tab")
    third = page.evaluate("document.activeElement.textContent.trim()")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    nav = page.get_by_role("navigation", name="Screens").get_by_role("link").all_inner_texts()

    assert nav[0] == "Dashboard"
    assert nav[-1] == "Pipeline"
    assert (first, second, third) == ("Skip to content", nav[0], nav[1])
    assert page.evaluate("document.activeElement.id") == "main"
