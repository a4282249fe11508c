"""The reminders screen in Chromium: configurations created, refused (the API's messages next to
their fields), edited (a stale version offers a reload) and deleted after a confirmation; the
outbox filtered by the API; CSR metadata added and edited; a viewer sees no write controls."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Dialog, Page, expect

from shared.identity import Role
from tests.console.conftest import ConsoleStack

SignIn = Callable[[Page, Role], None]
Screenshot = Callable[[Page, str], Path]
Accessibility = Callable[[Page], list[str]]
CONFIGURATIONS = "/api/reminders/configurations"


def unique(prefix: str) -> str:
    """An id no other test (or earlier run of this one) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def api_write(
    stack: ConsoleStack,
    method: str,
    path: str,
    body: Any = None,
    version: int | None = None,
) -> httpx.Response:
    """A write through the gateway as a CSR (what another user does meanwhile)."""
    headers = {"Authorization": f"Bearer {stack.token(Role.CSR, 'console-other-csr')}"}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    response = httpx.request(method, f"{stack.url}{path}", json=body, headers=headers, timeout=30)
    response.raise_for_status()
    return response


def create_configuration(stack: ConsoleStack, customer_id: str, **values: Any) -> dict[str, Any]:
    """A customer-scope configuration made through the API."""
    body = {"scope": "customer", "customer_id": customer_id, "channel": "email", "cadence_days": 7}
    created: dict[str, Any] = api_write(stack, "POST", CONFIGURATIONS, {**body, **values}).json()
    return created


def configurations_of(stack: ConsoleStack, customer_id: str) -> list[dict[str, Any]]:
    """What the API holds for `customer_id`."""
    rows: list[dict[str, Any]] = stack.api(Role.VIEWER, CONFIGURATIONS, customer_id=customer_id)[
        "data"
    ]
    return rows


def open_reminders(page: Page, sign_in: SignIn, role: Role) -> None:
    sign_in(page, role)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Reminders").click()
    expect(page.get_by_role("heading", name="Reminders", exact=True)).to_be_visible()


def test_a_csr_creates_a_configuration_through_the_form(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack, screenshot: Screenshot
) -> None:
    customer = unique("C-new")
    open_reminders(page, sign_in, Role.CSR)
    form = page.get_by_test_id("new-configuration")

    form.get_by_label("Scope").select_option("customer")
    form.get_by_label("Customer id").fill(customer)
    form.get_by_label("Channel").select_option("sms")
    form.get_by_label("Cadence (days)").fill("21")
    form.get_by_label("Quiet hours from").fill("22:00")
    form.get_by_label("Quiet hours until").fill("07:30")
    form.get_by_label("Time zone").fill("Europe/Paris")
    screenshot(page, "reminders")
    form.get_by_role("button", name="Create configuration").click()

    expect(page.get_by_role("status")).to_have_text("The configuration was created.")
    expect(
        page.get_by_role("heading", name=f"Configuration for customer {customer}")
    ).to_be_visible()
    [stored] = configurations_of(console_stack, customer)
    assert (stored["channel"], stored["cadence_days"], stored["timezone"]) == (
        "sms",
        21,
        "Europe/Paris",
    )
    assert (stored["quiet_hours_start"], stored["quiet_hours_end"]) == ("22:00:00", "07:30:00")
    assert stored["enabled"] is True
    expect(page.get_by_test_id("configuration")).to_contain_text("22:00\u201307:30")


def test_bad_values_show_the_apis_messages_next_to_their_fields(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack, accessibility: Accessibility
) -> None:
    customer = unique("C-bad")
    open_reminders(page, sign_in, Role.CSR)
    form = page.get_by_test_id("new-configuration")
    form.get_by_label("Customer id").fill(customer)
    form.get_by_label("Cadence (days)").fill("0")
    form.get_by_label("Time zone").fill("Mars/Olympus_Mons")

    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button", name="Create configuration").click()

    assert answer.value.status == 422
    cadence = page.get_by_test_id("new-configuration").get_by_label("Cadence (days)")
    expect(cadence).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("field-error-cadence_days")).to_contain_text(
        "greater than or equal to 1"
    )
    expect(page.get_by_test_id("field-error-timezone")).to_contain_text(
        "unknown IANA time zone 'Mars/Olympus_Mons'"
    )
    problem = page.get_by_test_id("problem")
    expect(problem).to_contain_text("Cadence (days)")
    expect(problem).not_to_contain_text("{")
    # What was typed stays, so only the refused values need fixing.
    expect(page.get_by_test_id("new-configuration").get_by_label("Customer id")).to_have_value(
        customer
    )
    assert accessibility(page) == []
    assert configurations_of(console_stack, customer) == []

    # A rule across fields (a segment-scope configuration needs a segment) is said too.
    form = page.get_by_test_id("new-configuration")
    form.get_by_label("Scope").select_option("segment")
    form.get_by_label("Customer id").fill("")
    form.get_by_label("Cadence (days)").fill("7")
    form.get_by_label("Time zone").fill("UTC")
    form.get_by_role("button", name="Create configuration").click()

    expect(page.get_by_test_id("problem")).to_contain_text(
        "a segment-scope configuration names segment and no customer_id"
    )


def test_an_edit_is_saved_and_a_stale_version_offers_a_reload(
    page: Page,
    sign_in: SignIn,
    console_stack: ConsoleStack,
    screenshot: Screenshot,
    accessibility: Accessibility,
) -> None:
    customer = unique("C-edit")
    created = create_configuration(console_stack, customer)
    open_reminders(page, sign_in, Role.CSR)
    page.goto(f"/reminders?customer_id={customer}")
    page.get_by_test_id("configurations").get_by_role(
        "link", name=f"customer {customer}", exact=True
    ).click()
    form = page.get_by_test_id("edit-configuration")

    form.get_by_label("Cadence (days)").fill("30")
    form.get_by_label("Quiet hours from").fill("21:00")
    form.get_by_label("Quiet hours until").fill("06:00")
    form.get_by_label("Enabled").uncheck()
    form.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("status")).to_have_text("The configuration was saved.")
    [saved] = configurations_of(console_stack, customer)
    assert (saved["cadence_days"], saved["enabled"], saved["version"]) == (30, False, 2)
    assert (saved["quiet_hours_start"], saved["quiet_hours_end"]) == ("21:00:00", "06:00:00")

    # Someone else changes it while this form (version 2) is open.
    path = f"{CONFIGURATIONS}/{created['preference_id']}"
    api_write(console_stack, "PATCH", path, {"cadence_days": 40}, version=2)
    form.get_by_label("Cadence (days)").fill("50")
    form.get_by_role("button", name="Save changes").click()

    problem = page.get_by_test_id("problem")
    expect(problem).to_contain_text(
        "Someone changed this configuration after you opened it, so your changes were not saved."
    )
    screenshot(page, "reminders-stale")
    assert accessibility(page) == []
    assert configurations_of(console_stack, customer)[0]["cadence_days"] == 40
    page.get_by_test_id("reload").click()
    expect(page.get_by_test_id("edit-configuration").get_by_label("Cadence (days)")).to_have_value(
        "40"
    )
    expect(page.get_by_test_id("problem")).to_have_count(0)


def test_delete_asks_first_and_removes_the_configuration(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    customer = unique("C-del")
    created = create_configuration(console_stack, customer, channel="push")
    open_reminders(page, sign_in, Role.CSR)
    page.goto(f"/reminders?customer_id={customer}")
    delete = page.get_by_role("button", name=f"Delete customer {customer} push")
    questions: list[str] = []

    def answer(dialog: Dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    delete.click()
    expect(page.get_by_test_id("configurations").locator("tbody tr")).to_have_count(1)
    assert len(configurations_of(console_stack, customer)) == 1

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    delete.click()

    expect(page.get_by_role("status")).to_have_text("The configuration was deleted.")
    assert questions == [f"Delete the push reminders of customer {customer}?"] * 2
    assert configurations_of(console_stack, customer) == []
    missing = httpx.get(
        f"{console_stack.url}{CONFIGURATIONS}/{created['preference_id']}",
        headers={"Authorization": f"Bearer {console_stack.token(Role.VIEWER)}"},
    )
    assert missing.status_code == 404


def _insert_outbox(stack: ConsoleStack, customer: str, statuses: list[str]) -> None:
    """Outbox messages of `customer`, one per status (as the dispatch flow leaves them)."""

    async def insert() -> None:
        for n, status in enumerate(statuses):
            await stack.database.fetch(
                """INSERT INTO reminders.notification_outbox (customer_id, product_id, channel,
                       cadence_window, status, attempts, payload, created_at, sent_at,
                       next_attempt_at, last_error)
                   VALUES ($1, $2, 'email', '2026-11-20/14d', $3, $4, $5::jsonb, now(),
                       CASE WHEN $3 = 'sent' THEN now() END, now(),
                       CASE WHEN $3 = 'failed' THEN 'mailbox full' END)
                   RETURNING id""",
                customer,
                f"P{n:04d}",
                status,
                1 if status in ("sent", "failed") else 0,
                json.dumps({"template": "replenish"}),
            )

    # Playwright's sync API keeps an event loop running in this thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, insert()).result()


def test_the_outbox_is_filtered_by_status_on_the_server(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack, screenshot: Screenshot
) -> None:
    customer = unique("C-outbox")
    _insert_outbox(console_stack, customer, ["pending", "sent", "failed", "sent", "suppressed"])
    open_reminders(page, sign_in, Role.VIEWER)
    page.get_by_role("navigation", name="Reminders").get_by_role("link", name="Outbox").click()
    expect(page.get_by_role("heading", name="Reminders outbox")).to_be_visible()
    everything = console_stack.api(Role.VIEWER, "/api/reminders/outbox", limit=1)["count"]
    expect(page.get_by_test_id("paging")).to_contain_text(f"of {everything}")

    page.get_by_label("Status").select_option("sent")
    page.get_by_label("Customer id").fill(customer)
    page.get_by_role("button", name="Filter").click()

    assert "status=sent" in page.url
    statuses = page.get_by_test_id("outbox").get_by_test_id("status")
    expect(statuses).to_have_text(["sent", "sent"])
    screenshot(page, "reminders-outbox")

    page.get_by_label("Customer id").fill("")
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()

    failed = console_stack.api(Role.VIEWER, "/api/reminders/outbox", status="failed", limit=50)
    expect(statuses).to_have_count(min(failed["count"], 50))
    expect(statuses).to_have_text(["failed"] * min(failed["count"], 50))
    expect(page.get_by_test_id("outbox")).to_contain_text("mailbox full")


def test_csr_metadata_is_added_and_edited(
    page: Page,
    sign_in: SignIn,
    console_stack: ConsoleStack,
    screenshot: Screenshot,
    accessibility: Accessibility,
) -> None:
    csr_id = unique("CSR").replace("-", "_")
    open_reminders(page, sign_in, Role.CSR)
    page.get_by_role("navigation", name="Reminders").get_by_role("link", name="CSRs").click()
    form = page.get_by_test_id("new-csr")
    form.get_by_label("CSR id").fill(csr_id)
    form.get_by_label("Name").fill("Ada Lovelace")
    form.get_by_label("Team").fill("tier2")
    form.get_by_label("Time zone").fill("Europe/London")
    form.get_by_label("Languages").fill("en, Not A Tag")
    form.get_by_role("button", name="Add CSR").click()

    expect(page.get_by_test_id("field-error-languages")).to_contain_text("(item 2)")
    page.get_by_test_id("new-csr").get_by_label("Languages").fill("en, fr")
    page.get_by_test_id("new-csr").get_by_role("button", name="Add CSR").click()

    expect(page.get_by_role("status")).to_have_text("The CSR was added.")
    edit = page.get_by_test_id("edit-csr")
    edit.get_by_label("Badges").fill("rapid_responder")
    edit.get_by_label("Notes").fill("Wholesale escalations.")
    edit.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("status")).to_have_text("The CSR was saved.")
    stored = console_stack.api(Role.VIEWER, f"/api/reminders/csr/{csr_id}")
    assert (stored["languages"], stored["badges"], stored["notes"]) == (
        ["en", "fr"],
        ["rapid_responder"],
        "Wholesale escalations.",
    )
    assert stored["version"] == 2
    expect(page.get_by_test_id("csr")).to_contain_text("rapid_responder")
    screenshot(page, "reminders-csr")
    assert accessibility(page) == []

    # Someone else replaces it while this form (version 2) is open: nothing is overwritten.
    replaced = {key: stored[key] for key in ("name", "team", "timezone", "languages", "badges")}
    api_write(console_stack, "PUT", f"/api/reminders/csr/{csr_id}",
              {**replaced, "notes": "Retail only."}, version=2)  # fmt: skip
    edit.get_by_label("Notes").fill("Wholesale and retail.")
    edit.get_by_role("button", name="Save changes").click()

    expect(page.get_by_test_id("problem")).to_contain_text(
        "Someone changed this CSR after you opened it, so your changes were not saved."
    )
    assert accessibility(page) == []
    assert console_stack.api(Role.VIEWER, f"/api/reminders/csr/{csr_id}")["notes"] == "Retail only."
    page.get_by_test_id("reload").click()
    expect(page.get_by_test_id("edit-csr").get_by_label("Notes")).to_have_value("Retail only.")
    expect(page.get_by_test_id("problem")).to_have_count(0)


def test_a_viewer_sees_no_write_controls_and_cannot_post(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    customer = unique("C-view")
    created = create_configuration(console_stack, customer)
    open_reminders(page, sign_in, Role.VIEWER)
    page.goto(f"/reminders?customer_id={customer}")

    expect(page.get_by_test_id("configurations").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("heading", name="New configuration")).to_have_count(0)
    expect(page.locator("main form[method=post]")).to_have_count(0)
    page.get_by_role("link", name=f"customer {customer}", exact=True).click()
    expect(page.get_by_test_id("configuration")).to_contain_text("every 7 days")
    expect(page.locator("main form[method=post]")).to_have_count(0)
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    page.goto("/reminders/csrs")
    expect(page.get_by_role("button", name="Add CSR")).to_have_count(0)

    # The screen's write routes refuse a viewer too (and the API would).
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "ecom_console_csrf")
    refused = page.request.post(
        f"/reminders/configurations/{created['preference_id']}/delete",
        form={"csrf_token": csrf, "version": str(created["version"])},
    )
    assert refused.status == 403
    assert len(configurations_of(console_stack, customer)) == 1
