"""Sign-in, sign-out, cookies, CSRF and the console's own security headers, in Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from console.app import CONTENT_SECURITY_POLICY
from console.session import CREDENTIAL_COOKIE, CSRF_COOKIE
from shared.identity import Role
from tests.console.conftest import STAFF_ROLES, ConsoleStack

SignIn = Callable[[Page, Role], None]
Screenshot = Callable[[Page, str], Path]


def test_signed_out_visitor_is_sent_to_sign_in_and_back(page: Page, screenshot: Screenshot) -> None:
    page.goto("/")
    expect(page).to_have_url("/sign-in?next=/")
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    screenshot(page, "sign-in")

    page.get_by_role("button", name="Sign in as viewer").click()

    expect(page).to_have_url("/")
    expect(page.get_by_test_id("caller-role")).to_have_text("viewer")


@pytest.mark.parametrize("role", STAFF_ROLES, ids=lambda role: role.value)
def test_one_click_sign_in_per_role_shows_the_role(page: Page, sign_in: SignIn, role: Role) -> None:
    sign_in(page, role)

    expect(page.get_by_test_id("caller-role")).to_have_text(role.value)
    expect(page.get_by_test_id("caller-sub")).to_have_text(f"console-{role.value}")
    expect(page.get_by_role("navigation", name="Screens")).to_be_visible()


def test_pasted_token_signs_in_and_a_bad_one_shows_the_apis_reason(
    page: Page, console_stack: ConsoleStack
) -> None:
    page.goto("/sign-in")
    page.get_by_label("Token or API key").fill("not-a-token")
    page.get_by_role("button", name="Sign in", exact=True).click()

    problem = page.get_by_test_id("problem")
    expect(problem).to_have_text("The bearer token is invalid or has expired.")
    assert not [c for c in page.context.cookies() if c["name"] == CREDENTIAL_COOKIE]

    page.get_by_label("Token or API key").fill(console_stack.token(Role.EDITOR, "pasted-editor"))
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url("/")
    expect(page.get_by_test_id("caller-sub")).to_have_text("pasted-editor")
    expect(page.get_by_test_id("caller-role")).to_have_text("editor")


def test_cookies_are_http_only_and_same_site_strict(page: Page, sign_in: SignIn) -> None:
    sign_in(page, Role.ADMIN)

    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}

    for name in (CREDENTIAL_COOKIE, CSRF_COOKIE):
        assert cookies[name]["httpOnly"] is True
        assert cookies[name]["sameSite"] == "Strict"
        # Local mode over plain http: a Secure cookie would never be sent back.
        assert cookies[name]["secure"] is False
    # Scripts of the page cannot read either cookie.
    assert page.evaluate("document.cookie") == ""


def test_sign_out_forgets_the_credential(page: Page, sign_in: SignIn) -> None:
    sign_in(page, Role.CSR)

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url("/sign-in")
    assert CREDENTIAL_COOKIE not in {cookie["name"] for cookie in page.context.cookies()}
    page.goto("/")
    expect(page).to_have_url("/sign-in?next=/")


def test_a_form_post_without_its_csrf_token_is_refused(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    sign_in(page, Role.ADMIN)
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    with httpx.Client(base_url=console_stack.url, cookies=cookies) as client:
        missing = client.post("/sign-out", data={})
        wrong = client.post("/sign-out", data={"csrf_token": "x" * 43})
        right = client.post("/sign-out", data={"csrf_token": cookies[CSRF_COOKIE]})
    with httpx.Client(base_url=console_stack.url) as stranger:
        no_cookies = stranger.post("/sign-in/local", data={"role": "admin"})

    assert missing.status_code == wrong.status_code == 403
    assert "security token" in missing.text
    assert CREDENTIAL_COOKIE not in missing.headers.get("set-cookie", "")
    assert right.status_code == 303
    assert right.headers["location"] == "/sign-in"
    # Without any console cookie the front door refuses the write before reading it.
    assert no_cookies.status_code == 401
    assert CREDENTIAL_COOKIE not in no_cookies.headers.get("set-cookie", "")


def test_console_pages_carry_a_strict_csp_and_no_inline_script(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    sign_in(page, Role.VIEWER)
    response = page.goto("/")
    assert response is not None
    headers = response.headers

    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    scripts = page.locator("script")
    assert scripts.count() >= 1
    for index in range(scripts.count()):
        assert scripts.nth(index).get_attribute("src"), "inline script would break the CSP"
    # The API itself is unchanged: problem+json, no console page.
    api = httpx.get(f"{console_stack.url}/api/nowhere/x")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
