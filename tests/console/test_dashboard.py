"""The dashboard in Chromium: tiles equal what the API answers the same user; charts are
titled, with axes and units; what a viewer may not do is not offered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from shared.identity import Role
from tests.console.conftest import STAFF_ROLES, ConsoleStack

SignIn = Callable[[Page, Role], None]
Screenshot = Callable[[Page, str], Path]


def tile_value(page: Page, key: str) -> str:
    return page.get_by_test_id(f"tile-{key}").get_by_test_id("value").inner_text()


@pytest.mark.parametrize("role", STAFF_ROLES, ids=lambda role: role.value)
def test_tiles_show_what_the_api_answers_that_user(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack, screenshot: Screenshot, role: Role
) -> None:
    sign_in(page, role)
    board = console_stack.api(role, "/api/admin/kpis/dashboard")
    metrics = {m["metric"]: m for m in console_stack.api(role, "/api/trust/metrics")["data"]}
    currency = board["currency"]

    assert board["orders_7d"]["value"] != "0", "the generated data should fill the dashboard"
    expect(page.get_by_test_id("data-day")).to_have_text(board["day"])
    assert tile_value(page, "net-revenue-today") == (
        f"{Decimal(board['revenue_today']):,.2f} {currency}"
    )
    assert tile_value(page, "net-revenue-7d") == (
        f"{Decimal(board['revenue_7d']['value']):,.2f} {currency}"
    )
    assert tile_value(page, "orders-7d") == f"{int(board['orders_7d']['value']):,}"
    assert tile_value(page, "aov-7d") == (
        f"{Decimal(board['average_order_value_7d']['value']):,.2f} {currency}"
    )
    on_time = Decimal(metrics["on_time_delivery_rate"]["value"])
    assert tile_value(page, "on-time-rate") == f"{on_time * 100:.1f}%"
    # The 7-day change against the previous 7 days, as a signed percentage.
    revenue = board["revenue_7d"]
    change = (Decimal(revenue["value"]) / Decimal(revenue["previous"]) - 1) * 100
    expect(page.get_by_test_id("tile-net-revenue-7d").get_by_test_id("change")).to_have_text(
        f"{change:+.1f}% vs previous 7 days"
    )
    freshness = page.get_by_test_id("tile-pipeline-freshness").get_by_test_id("detail")
    expect(freshness).to_contain_text(f"last run {board['pipeline']['last_run_status']}")
    expect(freshness).to_contain_text(f"{board['pipeline']['open_rejects']} open rejects")
    screenshot(page, f"dashboard-{role.value}")


def test_trust_score_tile_is_the_carriers_mean_on_the_newest_rated_day(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    sign_in(page, Role.VIEWER)
    day = date.fromisoformat(console_stack.api(Role.VIEWER, "/api/admin/kpis/dashboard")["day"])
    scores = console_stack.api(
        Role.VIEWER,
        "/api/transparency/trust/scores",
        subject_type="carrier",
        limit=500,
        **{"from": (day - timedelta(days=13)).isoformat(), "to": day.isoformat()},
    )["data"]
    by_day: dict[str, list[Decimal]] = defaultdict(list)
    for row in scores:
        if row["trust_score"] is not None:
            by_day[row["score_date"]].append(Decimal(row["trust_score"]))
    newest = max(by_day)
    mean = sum(by_day[newest], Decimal(0)) / len(by_day[newest])

    assert tile_value(page, "trust-score") == f"{mean:.1f}"
    expect(page.get_by_test_id("tile-trust-score")).to_contain_text(f"mean on {newest}")


def test_charts_have_a_title_axes_with_units_and_a_legend(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    sign_in(page, Role.EDITOR)
    board = console_stack.api(Role.EDITOR, "/api/admin/kpis/dashboard")
    day = date.fromisoformat(board["day"])
    rows = console_stack.api(
        Role.EDITOR,
        "/api/admin/kpis/daily-revenue",
        limit=500,
        **{"from": (day - timedelta(days=13)).isoformat(), "to": day.isoformat()},
    )["data"]
    channels = sorted({row["channel"] for row in rows})

    revenue = page.get_by_test_id("chart-revenue-by-channel").locator("svg")
    expect(revenue.locator("title")).to_have_text("Daily net revenue by channel, last 14 days")
    expect(revenue.locator(".x-label")).to_have_text("Order date (UTC)")
    expect(revenue.locator(".y-label")).to_have_text(f"Net revenue ({board['currency']})")
    assert revenue.locator(".x-axis").count() == revenue.locator(".y-axis").count() == 1
    assert revenue.locator(".legend").all_text_contents() == channels
    assert revenue.locator("polyline.series").count() == len(channels)
    assert revenue.get_attribute("role") == "img"

    on_time = page.get_by_test_id("chart-on-time-trend").locator("svg")
    expect(on_time.locator("title")).to_contain_text("On-time delivery rate")
    expect(on_time.locator(".y-label")).to_have_text("Delivered on time (%)")
    expect(on_time.locator(".x-label")).to_have_text("Promised delivery date (UTC)")
    assert on_time.locator(".target").count() == 1

    # The numbers behind a chart, as a table: the newest day's revenue over every channel.
    page.get_by_test_id("chart-revenue-by-channel").get_by_text("Show the numbers").click()
    newest_row = page.get_by_test_id("chart-revenue-by-channel").locator("tbody tr").last
    expect(newest_row.locator("th")).to_have_text(board["day"])
    shown = sum(
        Decimal(cell.replace(",", "")) for cell in newest_row.locator("td").all_inner_texts()
    )
    assert abs(shown - Decimal(board["revenue_today"])) <= len(channels)  # whole units shown


@pytest.mark.parametrize(
    ("role", "offered"), [(Role.VIEWER, 0), (Role.EDITOR, 0), (Role.ADMIN, 1)], ids=str
)
def test_admin_actions_are_offered_to_admins_only(
    page: Page, sign_in: SignIn, role: Role, offered: int
) -> None:
    sign_in(page, role)

    expect(page.get_by_test_id("tile-pipeline-freshness")).to_be_visible()
    expect(page.get_by_test_id("admin-pipeline-link")).to_have_count(offered)
