"""Clean mode: every reference resolves, amounts add up, and the data has real structure."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from flows.generator.batch import BatchResult
from flows.generator.reference import load_reference_data
from shared.objectstore import ObjectStore
from tests.flows.generator.lake_files import (
    fault_records,
    generate_history_and_batches,
    landing_files,
    settings_for,
)

ISO_UTC = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


@pytest.fixture(scope="module")
def clean_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[ObjectStore, list[BatchResult]]:
    settings = settings_for(tmp_path_factory.mktemp("clean"))
    results = generate_history_and_batches(settings, days=60, batches=3, clean=True)
    return ObjectStore(settings.lake_url), results


def rows(store: ObjectStore, entity: str) -> list[dict[str, str]]:
    return [row for file in landing_files(store, entity) for row in file.rows]


def latest(store: ObjectStore, entity: str, key: str) -> dict[str, dict[str, str]]:
    """Latest version of every key (latest updated_at wins, as downstream)."""
    newest: dict[str, dict[str, str]] = {}
    for row in rows(store, entity):
        if row[key] not in newest or row["updated_at"] >= newest[row[key]]["updated_at"]:
            newest[row[key]] = row
    return newest


def test_clean_mode_injects_nothing(clean_lake: tuple[ObjectStore, list[BatchResult]]) -> None:
    store, results = clean_lake
    assert all(fault_records(store, result) == [] for result in results)
    for result in results:
        for file in result.files:
            data = store.read_bytes(file.key)
            assert not data.startswith(b"\xef\xbb\xbf")
            assert b"discount_code" not in data.split(b"\n", 1)[0]


def test_every_reference_resolves(clean_lake: tuple[ObjectStore, list[BatchResult]]) -> None:
    store, _ = clean_lake
    customers = latest(store, "customers", "customer_id")
    products = latest(store, "products", "product_id")
    distributors = latest(store, "distributors", "distributor_id")
    stockists = latest(store, "stockists", "stockist_id")
    orders = latest(store, "orders", "order_id")
    csrs = {csr.csr_id for csr in load_reference_data().csrs}

    assert len(orders) > 10_000
    assert len(customers) > 3_000
    assert {o["customer_id"] for o in orders.values()} <= customers.keys()
    assert {o["stockist_id"] for o in orders.values()} - {""} <= stockists.keys()
    assert {s["distributor_id"] for s in stockists.values()} <= distributors.keys()
    items = rows(store, "order_items")
    assert {i["order_id"] for i in items} == orders.keys(), "every order has items, no stray item"
    assert {i["product_id"] for i in items} <= products.keys()
    assert {p["order_id"] for p in rows(store, "payments")} == orders.keys()
    for shipment in rows(store, "shipments"):
        assert shipment["order_id"] in orders
        assert shipment["distributor_id"] in distributors
        assert shipment["stockist_id"] in stockists or shipment["stockist_id"] == ""
    for case in rows(store, "support_interactions"):
        assert case["order_id"] in orders
        assert case["customer_id"] in customers
        assert case["csr_id"] in csrs
    for snapshot in rows(store, "inventory_snapshots"):
        assert snapshot["stockist_id"] in stockists
        assert snapshot["product_id"] in products


def test_amounts_add_up_and_every_order_day_has_fx_rates(
    clean_lake: tuple[ObjectStore, list[BatchResult]],
) -> None:
    store, _ = clean_lake
    orders = latest(store, "orders", "order_id")
    lines: dict[str, Decimal] = defaultdict(Decimal)
    for item in rows(store, "order_items"):
        total = Decimal(item["unit_price"]) * int(item["quantity"]) - Decimal(
            item["discount_amount"]
        )
        assert Decimal(item["line_total"]) == total
        lines[item["order_id"]] += total
    rates = {(r["rate_date"], r["currency"]) for r in rows(store, "fx_rates")}
    for order in orders.values():
        subtotal, discount = Decimal(order["subtotal_amount"]), Decimal(order["discount_amount"])
        assert lines[order["order_id"]] == subtotal - discount
        assert Decimal(order["total_amount"]) == (
            subtotal - discount + Decimal(order["shipping_amount"]) + Decimal(order["tax_amount"])
        )
        assert order["order_date"] <= order["updated_at"]
        if order["currency"] != "USD":
            assert (order["order_date"][:10], order["currency"]) in rates
    assert Counter(o["currency"] for o in orders.values()).keys() >= {"USD", "EUR", "GBP", "CAD"}


def test_statuses_only_move_forward(clean_lake: tuple[ObjectStore, list[BatchResult]]) -> None:
    store, _ = clean_lake
    rank = {"placed": 0, "paid": 1, "shipped": 2, "delivered": 3, "returned": 4, "cancelled": 4}
    history: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for order in rows(store, "orders"):
        history[order["order_id"]].append((order["updated_at"], order["status"]))
    moved = 0
    for versions in history.values():
        statuses = [status for _, status in versions]
        assert [at for at, _ in versions] == sorted(at for at, _ in versions)
        assert [rank[s] for s in statuses] == sorted(rank[s] for s in statuses)
        moved += len(versions) > 1
    assert moved > 10, "later batches carry status changes of earlier orders"
    final = Counter(o["status"] for o in latest(store, "orders", "order_id").values())
    assert final["delivered"] > final["shipped"] > 0
    assert 0 < final["returned"] < final["delivered"] / 10
    assert 0 < final["cancelled"] < final["delivered"] / 10


def test_history_has_repeat_buyers_weekly_rhythm_and_co_purchases(
    clean_lake: tuple[ObjectStore, list[BatchResult]],
) -> None:
    store, _ = clean_lake
    orders = latest(store, "orders", "order_id")
    per_customer = Counter(o["customer_id"] for o in orders.values())
    assert sum(count >= 3 for count in per_customer.values()) > 300

    from datetime import date

    weekdays = Counter(date.fromisoformat(o["order_date"][:10]).weekday() for o in orders.values())
    assert weekdays[1] > weekdays[6] * 1.2, "Tuesdays are busier than Sundays"

    products = {p["product_id"]: p for p in rows(store, "products")}
    baskets: dict[str, set[str]] = defaultdict(set)
    for item in rows(store, "order_items"):
        baskets[item["order_id"]].add(item["product_id"])
    machine = next(p for p, v in products.items() if v["name"] == "Home Espresso Machine")
    espresso_beans = {
        p
        for p, v in products.items()
        if v["brew_method"] == "espresso" and v["category"] == "espresso"
    }
    with_machine = [b for b in baskets.values() if machine in b]
    share_with_beans = sum(bool(b & espresso_beans) for b in with_machine) / len(with_machine)
    overall = sum(bool(b & espresso_beans) for b in baskets.values()) / len(baskets)
    assert share_with_beans > 2 * overall, "machine buyers add espresso beans: a co-purchase signal"
