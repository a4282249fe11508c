"""The trust and logistics screen in Chromium: badges with their criteria, the headline
metrics, SLA breaches with penalties and stock alerts as the API answers a viewer; the trend
chart titled with axes and units; a subject's page with the days behind its score."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from console import format as fmt
from console.screens.trust import metric_value
from shared.identity import Role
from tests.console.conftest import ConsoleStack

SignIn = Callable[[Page, Role], None]
Screenshot = Callable[[Page, str], Path]
Accessibility = Callable[[Page], list[str]]
SNAPSHOTS = "/api/transparency/logistics/snapshots"


def _all_rows(stack: ConsoleStack, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a paged list, as a viewer reads it."""
    rows: list[dict[str, Any]] = []
    while True:
        page = stack.api(Role.VIEWER, path, limit=500, offset=len(rows), **params)
        rows.extend(page["data"])
        if not page["data"] or len(rows) >= page["count"]:
            return rows


def _open_trust(page: Page, sign_in: SignIn) -> None:
    sign_in(page, Role.VIEWER)
    nav = page.get_by_role("navigation", name="Screens")
    nav.get_by_role("link", name="Trust and logistics").click()
    expect(page.get_by_role("heading", name="Trust and logistics", level=1)).to_be_visible()


def test_badges_criteria_and_metrics_are_the_apis(
    page: Page,
    sign_in: SignIn,
    console_stack: ConsoleStack,
    screenshot: Screenshot,
    accessibility: Accessibility,
) -> None:
    _open_trust(page, sign_in)
    badges = console_stack.api(Role.VIEWER, "/api/transparency/badges", limit=500)
    metrics = console_stack.api(Role.VIEWER, "/api/trust/metrics")

    assert badges["count"] > 0, "the generated data should rate subjects"
    assert metrics["data"], "the generated data should give trust metrics"
    criteria = page.get_by_test_id("criteria").locator("tbody tr")
    expect(criteria).to_have_count(len(badges["criteria"]))
    for row, rule in zip(criteria.all(), badges["criteria"], strict=True):
        expect(row).to_contain_text(rule["badge"])
        expect(row).to_contain_text(rule["description"])
    expect(page.get_by_test_id("badge-count")).to_have_text(
        f"{len(badges['data'])} of {badges['count']} subjects."
    )
    for subject in badges["data"]:
        row = page.get_by_test_id(f"badge-{subject['subject_type']}-{subject['subject_id']}")
        expect(row.get_by_test_id("badge")).to_have_text(subject["badge"])
        expect(row.get_by_test_id("score")).to_have_text(subject["trust_score"] or "—")
    for metric in metrics["data"]:
        expect(
            page.get_by_test_id(f"metric-{metric['metric']}").get_by_test_id("value")
        ).to_have_text(metric_value(metric["value"], metric["unit"]))
    on_time = next(m for m in metrics["data"] if m["metric"] == "on_time_delivery_rate")
    assert metric_value(on_time["value"], "ratio") == fmt.percent(on_time["value"])
    for summary in page.locator("details > summary").all():
        summary.click()
    assert accessibility(page) == []
    screenshot(page, "trust")


def test_sla_breaches_penalties_and_stock_alerts_are_the_apis(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    _open_trust(page, sign_in)
    by_penalty = "-penalty_amount_base,subject_type,subject_id"
    snapshots = _all_rows(console_stack, SNAPSHOTS, sort=by_penalty)
    breached = [row for row in snapshots if row["breaches_30d"] > 0]
    alerts = _all_rows(console_stack, SNAPSHOTS, with_alerts="true")

    assert breached, "the generated data should hold late deliveries"
    rows = page.get_by_test_id("sla").locator("tbody tr")
    expect(rows).to_have_count(len(breached))
    # In the API's order: the biggest penalty first.
    assert [row.get_attribute("data-testid") for row in rows.all()] == [
        f"sla-{row['subject_type']}-{row['subject_id']}" for row in breached
    ]
    for snapshot in breached:
        row = page.get_by_test_id(f"sla-{snapshot['subject_type']}-{snapshot['subject_id']}")
        expect(row.get_by_test_id("breaches")).to_have_text(fmt.count(snapshot["breaches_30d"]))
        expect(row.get_by_test_id("penalty")).to_have_text(
            fmt.money(snapshot["penalty_amount"], snapshot["currency"])
        )
        expect(row.get_by_test_id("penalty-base")).to_have_text(
            fmt.money(snapshot["penalty_amount_base"], snapshot["base_currency"])
        )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for snapshot in breached:
        if snapshot["penalty_amount_base"] is not None:
            totals[snapshot["base_currency"]] += Decimal(snapshot["penalty_amount_base"])
    for currency, total in totals.items():
        expect(page.get_by_test_id("penalty-total")).to_contain_text(fmt.money(total, currency))
    alert_rows = page.get_by_test_id("alerts").locator("tbody tr")
    if alerts:
        expect(alert_rows).to_have_count(len(alerts))
    else:
        expect(alert_rows).to_have_text("No stock alert.")
    for snapshot in alerts:
        row = page.get_by_test_id(f"alert-{snapshot['subject_type']}-{snapshot['subject_id']}")
        expect(row.get_by_test_id("stock-alerts")).to_have_text(str(snapshot["stock_alerts"]))
        for product in snapshot["stock_alert_products"]:
            expect(row).to_contain_text(product)


def test_the_trend_chart_has_a_title_axes_and_units(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    _open_trust(page, sign_in)
    chart = page.get_by_test_id("chart-trust-trend")

    expect(chart.locator("svg title")).to_have_text(
        "Mean trust score per subject type, last 14 days"
    )
    expect(chart.locator("svg")).to_contain_text("Score date (UTC)")
    expect(chart.locator("svg")).to_contain_text("Trust score (0 to 100)")
    chart.locator("summary").click()
    last_day = console_stack.api(Role.VIEWER, "/api/trust/metrics")["as_of_date"]
    expect(chart.locator("tbody tr").last.locator("th")).to_have_text(last_day)


def test_a_subjects_page_shows_the_days_behind_its_badge(
    page: Page,
    sign_in: SignIn,
    console_stack: ConsoleStack,
    screenshot: Screenshot,
    accessibility: Accessibility,
) -> None:
    badges = console_stack.api(
        Role.VIEWER, "/api/transparency/badges", subject_type="distributor", limit=500
    )["data"]
    subject = next(row for row in badges if row["trust_score"] is not None)
    days = console_stack.api(
        Role.VIEWER,
        "/api/transparency/trust/scores",
        subject_type="distributor",
        subject_id=subject["subject_id"],
        limit=30,
    )
    _open_trust(page, sign_in)
    page.get_by_test_id(f"badge-distributor-{subject['subject_id']}").get_by_role(
        "link", name=subject["subject_id"]
    ).click()

    facts = page.get_by_test_id("subject-facts")
    expect(facts.get_by_test_id("badge")).to_have_text(subject["badge"])
    expect(facts.get_by_test_id("score")).to_have_text(
        f"{subject['trust_score']} on {subject['score_date']}"
    )
    rows = page.get_by_test_id("days").locator("tbody tr")
    expect(rows).to_have_count(len(days["data"]))
    assert rows.locator("th").all_inner_texts() == [row["score_date"] for row in days["data"]]
    assert accessibility(page) == []
    screenshot(page, "trust-subject")


def test_the_badge_filter_asks_the_api_and_shows_its_refusal(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    _open_trust(page, sign_in)
    page.get_by_label("Subject type", exact=True).select_option("carrier")
    page.get_by_role("button", name="Filter").click()
    carriers = console_stack.api(
        Role.VIEWER, "/api/transparency/badges", subject_type="carrier", limit=500
    )
    expect(page.get_by_test_id("badge-count")).to_have_text(
        f"{len(carriers['data'])} of {carriers['count']} subjects."
    )

    page.goto("/trust?badge=gold")

    expect(page.get_by_test_id("problem")).to_contain_text("badge")
    expect(page.get_by_test_id("badges")).to_be_visible()
