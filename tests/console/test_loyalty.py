"""The loyalty screen in Chromium: segments with their rules and averages as the API answers
them, a segment's customers, and a customer's RFM scores, tier and recommendations in rank
order with their reasons, all for a viewer; the API's refusals shown as readable messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from console import format as fmt
from shared.identity import Role
from tests.console.conftest import ConsoleStack

SignIn = Callable[[Page, Role], None]
Screenshot = Callable[[Page, str], Path]
Accessibility = Callable[[Page], list[str]]


def _customer_with_most_recommendations(stack: ConsoleStack) -> dict[str, Any]:
    """The API's summary of a customer with the most recommendations (the highest rank)."""
    [row] = stack.api(Role.VIEWER, "/api/loyalty/recommendations", sort="-rank,customer_id",
                      limit=1)["data"]  # fmt: skip
    summary: dict[str, Any] = stack.api(Role.VIEWER, f"/api/loyalty/customers/{row['customer_id']}")
    return summary


def test_segments_show_their_rules_and_the_apis_averages_to_a_viewer(
    page: Page,
    sign_in: SignIn,
    console_stack: ConsoleStack,
    screenshot: Screenshot,
    accessibility: Accessibility,
) -> None:
    sign_in(page, Role.VIEWER)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Loyalty").click()
    expect(page.get_by_role("heading", name="Loyalty", level=1)).to_be_visible()
    segments = console_stack.api(Role.VIEWER, "/api/loyalty/segments")

    assert segments["customers"] > 0, "the generated data should fill the segments"
    expect(page.get_by_test_id("as-of-date")).to_have_text(segments["as_of_date"])
    expect(page.get_by_test_id("segment-customers-total")).to_have_text(
        fmt.count(segments["customers"])
    )
    for segment in segments["data"]:
        row = page.get_by_test_id(f"segment-{segment['segment']}")
        expect(row.get_by_test_id("customers")).to_have_text(fmt.count(segment["customers"]))
        expect(row.get_by_test_id("share")).to_have_text(fmt.percent(segment["share"]))
        expect(row.get_by_test_id("average-monetary")).to_have_text(
            fmt.money(segment["average_monetary"])
        )
        expect(row.get_by_test_id("average-frequency")).to_have_text(
            segment["average_frequency"] or "—"
        )
        expect(row.get_by_test_id("average-recency")).to_have_text(
            segment["average_recency_days"] or "—"
        )
        for rule in segment["rules"]:
            expect(row).to_contain_text(f"{rule['precedence']}: {rule['rule']} — {rule['meaning']}")
    assert accessibility(page) == []
    screenshot(page, "loyalty")


def test_customer_page_ranks_recommendations_with_their_reasons(
    page: Page,
    sign_in: SignIn,
    console_stack: ConsoleStack,
    screenshot: Screenshot,
    accessibility: Accessibility,
) -> None:
    summary = _customer_with_most_recommendations(console_stack)
    recommendations = summary["recommendations"]
    assert len(recommendations) >= 2, "a customer with several recommendations is needed"
    sign_in(page, Role.VIEWER)
    page.goto("/loyalty")
    page.get_by_label("Customer id").fill(summary["customer_id"])
    page.get_by_role("button", name="Open the customer").click()

    expect(page.get_by_role("heading", name=f"Customer {summary['customer_id']}")).to_be_visible()
    for tile, key in (("recency", "recency_score"), ("frequency", "frequency_score"),
                      ("monetary", "monetary_score"), ("tier", "tier")):  # fmt: skip
        expect(page.get_by_test_id(f"tile-{tile}").get_by_test_id("value")).to_have_text(
            str(summary[key])
        )
    expect(page.get_by_test_id("rfm-score")).to_have_text(summary["rfm_score"])
    expect(page.get_by_test_id("segment")).to_have_text(summary["segment"])
    rows = page.get_by_test_id("recommendation")
    expect(rows).to_have_count(len(recommendations))
    ranked = sorted(recommendations, key=lambda row: row["rank"])
    assert rows.get_by_test_id("rank").all_inner_texts() == [str(r["rank"]) for r in ranked]
    assert rows.get_by_test_id("reason").all_inner_texts() == [r["reason"] for r in ranked]
    assert rows.get_by_test_id("product").all_inner_texts() == [
        f"{r['product_name']} ({r['product_id']})" for r in ranked
    ]
    assert rows.get_by_test_id("score").all_inner_texts() == [
        fmt.percent(r["score"]) for r in ranked
    ]
    assert all(reason.strip() for reason in rows.get_by_test_id("reason").all_inner_texts())
    assert accessibility(page) == []
    screenshot(page, "loyalty-customer")


def test_a_segments_customers_are_the_apis_pages_and_link_to_their_pages(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack, accessibility: Accessibility
) -> None:
    # The largest segment, so that it spans pages of 50.
    segments = console_stack.api(Role.VIEWER, "/api/loyalty/segments")["data"]
    largest = max(segments, key=lambda row: row["customers"])
    segment, size = largest["segment"], largest["customers"]
    first = console_stack.api(
        Role.VIEWER, "/api/loyalty/customers", segment=segment, sort="-monetary", limit=50
    )
    sign_in(page, Role.VIEWER)
    page.goto("/loyalty")
    page.get_by_test_id(f"segment-{segment}").get_by_role("link", name=segment).click()

    expect(page.get_by_role("heading", name=f"Segment {segment}")).to_be_visible()
    expect(page.get_by_test_id("segment-facts").get_by_test_id("customers")).to_contain_text(
        fmt.count(size)
    )
    assert first["count"] == size, "every customer of the segment is listed, not only some"
    rows = page.get_by_test_id("segment-customer")
    expect(rows).to_have_count(len(first["data"]))
    assert rows.get_by_role("link").all_inner_texts() == [r["customer_id"] for r in first["data"]]
    assert rows.get_by_test_id("monetary").all_inner_texts() == [
        fmt.money(r["monetary"], r["currency"]) for r in first["data"]
    ]
    expect(page.get_by_test_id("segment-customer-count")).to_contain_text(
        f"Customers 1\u2013{len(first['data'])} of {fmt.count(size)}"
    )
    assert accessibility(page) == []
    if size > 50:
        page.get_by_test_id("segment-pages").get_by_role("link", name="Next page").click()
        second = console_stack.api(Role.VIEWER, "/api/loyalty/customers", segment=segment,
                                   sort="-monetary", limit=50, offset=50)  # fmt: skip
        expect(rows.first.get_by_role("link")).to_have_text(second["data"][0]["customer_id"])

    tier = first["data"][0]["tier"]
    page.get_by_label("Tier").select_option(tier)
    page.get_by_label("Order").select_option(label="Customer id")
    page.get_by_role("button", name="Apply").click()
    in_tier = console_stack.api(Role.VIEWER, "/api/loyalty/customers", segment=segment,
                                tier=tier, sort="customer_id", limit=50)  # fmt: skip
    expect(rows).to_have_count(len(in_tier["data"]))
    assert set(rows.get_by_test_id("tier").all_inner_texts()) == {tier}
    assert rows.get_by_role("link").all_inner_texts() == [r["customer_id"] for r in in_tier["data"]]

    chosen = in_tier["data"][0]["customer_id"]
    page.get_by_test_id("segment-customers").get_by_role("link", name=chosen, exact=True).click()
    expect(page.get_by_role("heading", name=f"Customer {chosen}")).to_be_visible()


def test_an_unknown_customer_shows_the_apis_message(
    page: Page, sign_in: SignIn, accessibility: Accessibility
) -> None:
    sign_in(page, Role.VIEWER)
    page.goto("/loyalty")
    page.get_by_label("Customer id").fill("NO-SUCH-CUSTOMER")
    page.get_by_role("button", name="Open the customer").click()

    expect(page.get_by_test_id("problem")).to_have_text(
        "No loyalty summary for customer 'NO-SUCH-CUSTOMER'."
    )
    expect(page.get_by_label("Customer id")).to_have_value("NO-SUCH-CUSTOMER")
    assert accessibility(page) == []


def test_an_empty_lookup_asks_for_an_id(page: Page, sign_in: SignIn) -> None:
    sign_in(page, Role.VIEWER)
    page.goto("/loyalty")
    page.get_by_role("button", name="Open the customer").click()

    expect(page.get_by_test_id("problem")).to_have_text("Enter a customer id.")
    expect(page.get_by_test_id("segments")).to_be_visible()
