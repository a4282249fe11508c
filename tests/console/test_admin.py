"""The admin screen in Chromium: grids that sort, filter, search and page as the API does;
inline edit with a stale version (412) and its reload; delete after a confirmation; CSV and
XLSX exports equal to the filtered list; the audit log; what each role may do."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from shared.identity import Role
from tests.console.conftest import ConsoleStack

SignIn = Callable[[Page, Role], None]
Screenshot = Callable[[Page, str], Path]
Accessibility = Callable[[Page], list[str]]
PAGE_SIZE = 25  # the grids' default page


def api_client(stack: ConsoleStack, role: Role) -> httpx.Client:
    """The API as `role`, straight (what another user of the back office does meanwhile)."""
    token = stack.token(role, f"other-{role.value}")
    return httpx.Client(
        base_url=stack.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


@pytest.fixture
def product(console_stack: ConsoleStack) -> Iterator[dict[str, Any]]:
    """A product of this test's own (category and name unique to it), removed afterwards."""
    tag = uuid.uuid4().hex[:8]
    body = {
        "product_id": f"PT-{tag}",
        "sku": f"SKU-{tag}",
        "name": f"Console test blend {tag}",
        "category": f"test-{tag}",
        "price": "19.99",
        "currency": "USD",
        "active": True,
    }
    with api_client(console_stack, Role.ADMIN) as client:
        created = client.post("/api/admin/products", json=body)
        assert created.status_code == 201, created.text
        yield created.json()
        current = client.get(f"/api/admin/products/{body['product_id']}")
        if current.status_code == 200:
            client.delete(
                f"/api/admin/products/{body['product_id']}",
                headers={"If-Match": current.headers["ETag"]},
            )


def grid_keys(page: Page) -> list[str]:
    """The keys of the grid's rows, top to bottom."""
    rows = page.get_by_test_id("grid").locator("tbody tr[data-key]")
    return [key or "" for key in rows.evaluate_all("rows => rows.map(r => r.dataset.key)")]


def api_keys(stack: ConsoleStack, plural: str, key: str, **params: Any) -> list[str]:
    """The keys of a page of the API's list, as an editor reads it."""
    page = stack.api(Role.EDITOR, f"/api/admin/{plural}", limit=PAGE_SIZE, **params)
    return [row[key] for row in page["data"]]


def header(page: Page, label: str) -> Locator:
    return page.get_by_test_id("grid").locator("thead th", has_text=label)


def sort_by(page: Page, label: str) -> None:
    """Click a column's header (it sorts ascending, or descending when it already does)."""
    link = header(page, label).get_by_role("link")
    expect(link).to_have_accessible_name(re.compile(rf"^{label}\W+sort (ascending|descending)$"))
    link.click()


def open_grid(page: Page, sign_in: SignIn, role: Role, tab: str = "Products") -> None:
    sign_in(page, role)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Admin").click()
    if tab != "Products":
        page.get_by_role("navigation", name="Admin lists").get_by_role("link", name=tab).click()
    expect(page.get_by_role("heading", level=1, name=tab)).to_be_visible()


def test_sorting_by_a_header_orders_the_rows_as_the_api_does(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack, screenshot: Screenshot
) -> None:
    open_grid(page, sign_in, Role.EDITOR)
    assert grid_keys(page) == api_keys(console_stack, "products", "product_id")
    expect(header(page, "Name")).to_have_attribute("aria-sort", "ascending")

    sort_by(page, "Price")

    expect(header(page, "Price")).to_have_attribute("aria-sort", "ascending")
    expect(header(page, "Name")).not_to_have_attribute("aria-sort", "ascending")
    assert grid_keys(page) == api_keys(console_stack, "products", "product_id", sort="price")

    sort_by(page, "Price")

    expect(header(page, "Price")).to_have_attribute("aria-sort", "descending")
    assert grid_keys(page) == api_keys(console_stack, "products", "product_id", sort="-price")
    screenshot(page, "admin-products")


def test_filter_search_and_paging_pass_through_to_the_api(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    open_grid(page, sign_in, Role.VIEWER, "Orders")
    everything = console_stack.api(Role.VIEWER, "/api/admin/orders", limit=1)["count"]
    assert everything > PAGE_SIZE, "the generated data should fill more than a page"
    expect(page.get_by_test_id("grid").locator("caption")).to_contain_text(f"of {everything}")

    page.get_by_role("link", name="Next page").click()

    assert grid_keys(page) == api_keys(console_stack, "orders", "order_id", offset=PAGE_SIZE)
    expect(page.get_by_test_id("grid").locator("caption")).to_contain_text(
        f"rows {PAGE_SIZE + 1}\N{EN DASH}{2 * PAGE_SIZE} of {everything}"
    )

    page.get_by_label("Status").select_option("cancelled")
    page.get_by_role("button", name="Apply").click()

    cancelled = console_stack.api(Role.VIEWER, "/api/admin/orders", status="cancelled", limit=1)
    assert 0 < cancelled["count"] < everything
    keys = grid_keys(page)
    assert keys == api_keys(console_stack, "orders", "order_id", status="cancelled")
    for cell in page.get_by_test_id("grid").locator("td[data-column=status]").all():
        expect(cell).to_have_text("cancelled")
    expect(page.get_by_test_id("grid").locator("caption")).to_contain_text(
        f"of {cancelled['count']}"
    )

    customer = console_stack.api(Role.VIEWER, f"/api/admin/orders/{keys[0]}")["customer_id"]
    page.get_by_label("Search").fill(customer)
    page.get_by_role("button", name="Apply").click()

    searched = api_keys(console_stack, "orders", "order_id", status="cancelled", q=customer)
    assert keys[0] in searched
    assert grid_keys(page) == searched


def test_customers_sort_and_filter(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    open_grid(page, sign_in, Role.VIEWER, "Customers")
    assert grid_keys(page) == api_keys(console_stack, "customers", "customer_id")
    expect(header(page, "Last name")).to_have_attribute("aria-sort", "ascending")

    sort_by(page, "Email")

    assert grid_keys(page) == api_keys(console_stack, "customers", "customer_id", sort="email")
    page.get_by_label("Marketing").select_option("true")
    page.get_by_role("button", name="Apply").click()

    opted_in = api_keys(
        console_stack, "customers", "customer_id", sort="email", marketing_opt_in="true"
    )
    assert grid_keys(page) == opted_in
    expect(header(page, "Email")).to_have_attribute("aria-sort", "ascending")


def test_a_bad_filter_shows_the_apis_message(page: Page, sign_in: SignIn) -> None:
    sign_in(page, Role.VIEWER)

    page.goto("/admin/products?price_min=cheap")

    problem = page.get_by_test_id("problem")
    expect(problem).to_contain_text("price_min")
    expect(problem).not_to_contain_text("{")


def find_product(page: Page, product: dict[str, Any]) -> None:
    """The products grid searched for `product`'s SKU (search covers SKU, name, category)."""
    page.goto(f"/admin/products?q={product['sku']}")
    assert grid_keys(page) == [product["product_id"]]


def edit_product(page: Page, product: dict[str, Any]) -> None:
    product_id = product["product_id"]
    find_product(page, product)
    page.get_by_role("link", name=f"Edit product {product_id}").click()
    expect(page.get_by_role("button", name=f"Save product {product_id}")).to_be_visible()


def test_inline_edit_saves_and_the_audit_log_shows_it(
    page: Page,
    sign_in: SignIn,
    console_stack: ConsoleStack,
    product: dict[str, Any],
    screenshot: Screenshot,
) -> None:
    key = product["product_id"]
    sign_in(page, Role.EDITOR)
    edit_product(page, product)
    screenshot(page, "admin-edit")

    page.get_by_label("Price", exact=True).fill("21.50")
    page.get_by_role("button", name=f"Save product {key}").click()

    expect(page.get_by_role("status")).to_have_text(f"Saved product {key}.")
    saved = console_stack.api(Role.EDITOR, f"/api/admin/products/{key}")
    assert (saved["price"], saved["version"]) == ("21.50", product["version"] + 1)
    expect(page.locator(f"tr[data-key='{key}'] td[data-column=price]")).to_have_text("21.50")

    sign_in(page, Role.ADMIN)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Admin lists").get_by_role("link", name="Audit log").click()
    page.get_by_label("Key").fill(key)
    page.get_by_role("button", name="Apply").click()

    entries = page.get_by_test_id("audit").locator("tbody tr")
    expect(entries).to_have_count(2)  # newest first: the edit, then the creation
    expect(entries.first).to_contain_text("update")
    expect(entries.first).to_contain_text("price: 19.99 → 21.50")
    expect(entries.first).to_contain_text("(editor)")
    expect(entries.nth(1)).to_contain_text("create")
    screenshot(page, "admin-audit")


def test_a_concurrent_change_shows_the_stale_message_and_reload_works(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack, product: dict[str, Any]
) -> None:
    key = product["product_id"]
    sign_in(page, Role.EDITOR)
    edit_product(page, product)
    with api_client(console_stack, Role.EDITOR) as other:
        changed = other.patch(
            f"/api/admin/products/{key}",
            json={"name": "Renamed meanwhile"},
            headers={"If-Match": f'"{product["version"]}"'},
        )
        assert changed.status_code == 200, changed.text

    page.get_by_label("Price", exact=True).fill("25.00")
    page.get_by_role("button", name=f"Save product {key}").click()

    problem = page.get_by_test_id("problem")
    expect(problem).to_contain_text(f"Product {key} was changed by someone else")
    unchanged = console_stack.api(Role.EDITOR, f"/api/admin/products/{key}")
    assert (unchanged["price"], unchanged["name"]) == ("19.99", "Renamed meanwhile")

    page.get_by_role("link", name="Reload and try again").click()

    expect(page.get_by_label("Name", exact=True)).to_have_value("Renamed meanwhile")
    page.get_by_label("Price", exact=True).fill("25.00")
    page.get_by_role("button", name=f"Save product {key}").click()
    expect(page.get_by_role("status")).to_have_text(f"Saved product {key}.")
    saved = console_stack.api(Role.EDITOR, f"/api/admin/products/{key}")
    assert (saved["price"], saved["name"]) == ("25.00", "Renamed meanwhile")


def test_a_refused_value_is_shown_readably_and_kept_in_the_form(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack, product: dict[str, Any]
) -> None:
    key = product["product_id"]
    sign_in(page, Role.EDITOR)
    edit_product(page, product)

    page.get_by_label("Price", exact=True).fill("-3")
    page.get_by_role("button", name=f"Save product {key}").click()

    problem = page.get_by_test_id("problem")
    expect(problem).to_contain_text("The product was not saved")
    expect(problem).to_contain_text("price")
    expect(problem).not_to_contain_text("{")
    expect(page.get_by_label("Price", exact=True)).to_have_value("-3")
    assert console_stack.api(Role.EDITOR, f"/api/admin/products/{key}")["price"] == "19.99"


def test_delete_asks_for_confirmation_then_removes_the_row(
    page: Page,
    sign_in: SignIn,
    console_stack: ConsoleStack,
    product: dict[str, Any],
    accessibility: Accessibility,
) -> None:
    key = product["product_id"]
    sign_in(page, Role.ADMIN)
    find_product(page, product)

    page.get_by_role("link", name=f"Delete product {key}").click()

    confirm = page.get_by_test_id("confirm-delete")
    expect(confirm.get_by_role("heading")).to_have_text(f"Delete product {key}?")
    expect(confirm.get_by_role("heading")).to_be_focused()
    assert grid_keys(page) == [key]
    assert accessibility(page) == []
    confirm.get_by_role("link", name="Cancel").click()
    expect(page.get_by_test_id("confirm-delete")).to_have_count(0)
    assert console_stack.api(Role.ADMIN, f"/api/admin/products/{key}")["product_id"] == key

    page.get_by_role("link", name=f"Delete product {key}").click()
    page.get_by_role("button", name=f"Yes, delete product {key}").click()

    expect(page.get_by_role("status")).to_have_text(f"Deleted product {key}.")
    assert grid_keys(page) == []
    with api_client(console_stack, Role.ADMIN) as client:
        assert client.get(f"/api/admin/products/{key}").status_code == 404


def api_all(stack: ConsoleStack, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a list as an editor reads it, 500 a request."""
    rows: list[dict[str, Any]] = []
    while True:
        page = stack.api(Role.EDITOR, path, limit=500, offset=len(rows), **params)
        rows.extend(page["data"])
        if not page["data"] or len(rows) >= page["count"]:
            return rows


def download(page: Page, name: str) -> tuple[bytes, str]:
    """Click the export link `name`; the file's bytes and suggested name."""
    with page.expect_download() as started:
        page.get_by_role("link", name=name).click()
    file = started.value
    path = file.path()
    return Path(path).read_bytes(), file.suggested_filename


def test_exports_download_the_filtered_list(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack
) -> None:
    filters = {"channel": "web", "status": "delivered", "sort": "total_amount"}
    expected = api_all(console_stack, "/api/admin/orders", **filters)
    everything = console_stack.api(Role.EDITOR, "/api/admin/orders", limit=1)["count"]
    assert 0 < len(expected) < everything
    expected_keys = [row["order_id"] for row in expected]
    open_grid(page, sign_in, Role.EDITOR, "Orders")
    page.get_by_label("Status").select_option("delivered")
    page.get_by_label("Channel").select_option("web")
    page.get_by_role("button", name="Apply").click()
    sort_by(page, "Total")

    content, filename = download(page, "Export CSV")

    assert filename == "orders.csv"
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert [row["order_id"] for row in rows] == expected_keys
    assert {(row["status"], row["channel"]) for row in rows} == {("delivered", "web")}
    assert rows[0]["total_amount"] == expected[0]["total_amount"]

    content, filename = download(page, "Export XLSX")

    assert filename == "orders.xlsx"
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    columns = table[0]
    assert [row[columns.index("order_id")] for row in table[1:]] == expected_keys


def test_an_export_the_api_refuses_shows_its_message(page: Page, sign_in: SignIn) -> None:
    sign_in(page, Role.EDITOR)

    response = page.goto("/admin/orders/export.csv?total_amount_min=lots")

    assert response is not None
    assert response.status == 422
    expect(page.get_by_test_id("problem")).to_contain_text("total_amount_min")


def test_a_viewer_sees_read_only_grids(
    page: Page, sign_in: SignIn, console_stack: ConsoleStack, product: dict[str, Any]
) -> None:
    key = product["product_id"]
    open_grid(page, sign_in, Role.VIEWER)

    grid = page.get_by_test_id("grid")
    expect(grid.get_by_role("link", name="Edit")).to_have_count(0)
    expect(grid.get_by_role("link", name="Delete")).to_have_count(0)
    expect(grid.locator("thead th", has_text="Actions")).to_have_count(0)
    expect(page.get_by_test_id("exports")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Admin lists")).not_to_contain_text("Audit log")

    page.goto(f"/admin/products?q={product['sku']}&edit={key}&delete={key}")
    expect(page.get_by_role("button", name=f"Save product {key}")).to_have_count(0)
    expect(page.get_by_test_id("confirm-delete")).to_have_count(0)
    assert grid_keys(page) == [key]
    assert page.goto("/admin/products/export.csv") is not None
    expect(page.get_by_test_id("problem")).to_contain_text("needs the editor role")
    forbidden = page.goto("/admin/audit")
    assert forbidden is not None
    assert forbidden.status == 403


def test_an_editor_edits_but_does_not_delete(
    page: Page, sign_in: SignIn, product: dict[str, Any]
) -> None:
    key = product["product_id"]
    sign_in(page, Role.EDITOR)
    page.goto(f"/admin/products?q={product['sku']}&delete={key}")

    expect(page.get_by_role("link", name=f"Edit product {key}")).to_be_visible()
    expect(page.get_by_role("link", name=f"Delete product {key}")).to_have_count(0)
    expect(page.get_by_test_id("confirm-delete")).to_have_count(0)
    expect(page.get_by_test_id("exports").get_by_role("link")).to_have_count(2)


def test_the_edit_row_and_the_audit_log_are_accessible(
    page: Page, sign_in: SignIn, accessibility: Accessibility, product: dict[str, Any]
) -> None:
    sign_in(page, Role.ADMIN)
    edit_product(page, product)
    expect(page.get_by_label("SKU", exact=True)).to_be_focused()

    assert accessibility(page) == []

    page.goto("/admin/audit")
    assert accessibility(page) == []
