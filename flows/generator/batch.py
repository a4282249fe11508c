"""One batch: everything that happened in a window of time, written to the landing area.

A batch covers (window start, as_of]. It emits the reference data once, then per batch: the
day's FX rates, customers who arrive late, the next events of orders still open, new orders with
their items and payments, inventory snapshots at each day's end, and CSR badges at each week's end.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from flows.generator.catalog import Catalog
from flows.generator.clock import (
    DAY,
    WEEK,
    WEEK_ORIGIN,
    boundaries,
    day_start,
    iso,
    iso_date,
    order_slices,
    week_index,
)
from flows.generator.customers import CustomerBook, customer_profile, customer_row, mix
from flows.generator.entities import (
    CSR_BADGES,
    CUSTOMERS,
    DISTRIBUTORS,
    FX_RATES,
    INVENTORY_SNAPSHOTS,
    ORDER_ITEMS,
    ORDERS,
    PAYMENTS,
    PRODUCTS,
    SHIPMENTS,
    STOCKISTS,
    SUPPORT_INTERACTIONS,
)
from flows.generator.faults import FaultKind, FaultRecord, Outcome
from flows.generator.money import format_cents
from flows.generator.orders import (
    ORDER_STATUS,
    PAYMENT_EVENTS,
    PLACED,
    SHIPMENT_EVENTS,
    SUPPORT,
    OrderLife,
    derive_order,
    item_rows,
    order_id,
    order_row,
    payment_row,
    shipment_row,
    support_row,
)
from flows.generator.output import BatchOutput, FileSummary
from flows.generator.randomness import SimRandom
from flows.generator.reference import ReferenceData
from flows.generator.state import (
    STATE_PREFIX,
    BatchPlan,
    GeneratorState,
    load_customers,
    read_open_orders,
)
from shared.objectstore import ObjectStore

Progress = Callable[[int], None]
_ORDER_EVENTS = set(ORDER_STATUS)


@dataclass
class BatchResult:
    """What a batch wrote."""

    plan: BatchPlan
    files: list[FileSummary]
    fault_counts: dict[str, int]
    new_orders: int
    new_customers: int
    open_orders: int
    customers: int
    summary_key: str
    redone: bool = False

    @property
    def rows(self) -> int:
        """Data rows over every file."""
        return sum(f.records for f in self.files)


@dataclass
class _Run:
    """The working set of one batch."""

    plan: BatchPlan
    state: GeneratorState
    catalog: Catalog
    customers: CustomerBook
    out: BatchOutput
    open_orders: IO[bytes]
    rng: random.Random
    orphan_rate: float
    open_count: int = 0
    csr_weeks: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    @property
    def lo(self) -> int:
        return self.plan.window_start

    @property
    def hi(self) -> int:
        return self.plan.as_of

    def keep_open(self, life: OrderLife, customer: int) -> None:
        upcoming = next((at for at, _ in life.events if at > self.hi), None)
        if upcoming is not None:
            line = f"{life.number},{customer},{life.placed},{upcoming}\n"
            self.open_orders.write(line.encode())
            self.open_count += 1

    def emit_life(self, life: OrderLife, *, order_row_written: bool = False) -> None:
        """Rows for the events of `life` that happened inside the window."""
        kinds = {kind for at, kind in life.events if self.lo < at <= self.hi}
        if not kinds:
            return
        out, hi = self.out, self.hi
        if kinds & _ORDER_EVENTS and not order_row_written:
            out.write(ORDERS, order_row(life, hi))
        if PLACED in kinds:
            for row in item_rows(life, self.catalog):
                out.write(ORDER_ITEMS, row)
        if kinds & PAYMENT_EVENTS:
            out.write(PAYMENTS, payment_row(life, hi))
        if kinds & SHIPMENT_EVENTS:
            out.write(SHIPMENTS, shipment_row(life, self.catalog, hi))
        if SUPPORT in kinds and life.support is not None:
            out.write(SUPPORT_INTERACTIONS, support_row(life))
            week = self.csr_weeks.setdefault(str(week_index(life.support.resolved)), {})
            stats = week.setdefault(life.support.csr.csr_id, [0, 0, 0])
            stats[0] += 1
            stats[1] += life.support.first_response_minutes
            stats[2] += life.support.csat


def _reference_rows(run: _Run) -> None:
    catalog, out, lo, hi = run.catalog, run.out, run.lo, run.hi
    reference = catalog.reference
    first = not run.state.reference_published
    if first:
        for index in range(len(reference.distributors)):
            out.write(DISTRIBUTORS, _distributor_row(run, index, lo))
        for s in reference.stockists:
            out.write(
                STOCKISTS,
                [
                    s.stockist_id,
                    s.name,
                    s.distributor_id,
                    s.region,
                    s.country,
                    s.city,
                    s.currency,
                    str(s.sla_days),
                    format_cents(s.penalty_per_late_day),
                    format_cents(s.penalty_cap),
                    iso(lo),
                ],
            )
        for index in range(len(reference.products)):
            out.write(PRODUCTS, _product_row(run, index, lo))
        run.state.reference_published = True
    for week_start in boundaries(lo, hi, WEEK, WEEK_ORIGIN):
        for index in range(len(reference.products)):
            if catalog.price_changes(index, week_index(week_start)):
                out.write(PRODUCTS, _product_row(run, index, week_start))
    for midnight in boundaries(lo, hi, DAY):
        if time.gmtime(midnight).tm_mday == 1:
            for index in range(len(reference.distributors)):
                month = _month(midnight)
                if catalog.penalty_revisions(index, month) != catalog.penalty_revisions(
                    index, month - 1
                ):
                    out.write(DISTRIBUTORS, _distributor_row(run, index, midnight))
    fx_days = range(day_start(lo) // DAY if first else (day_start(lo) + DAY) // DAY, hi // DAY + 1)
    for day in fx_days:
        for fx in reference.fx:
            if fx.currency != run.plan.base_currency:
                out.write(FX_RATES, catalog.fx_row(fx.currency, day, run.plan.base_currency))


def _month(instant: int) -> int:
    tm = time.gmtime(instant)
    return (tm.tm_year - 2025) * 12 + tm.tm_mon - 1


def _product_row(run: _Run, index: int, at: int) -> list[str]:
    product = run.catalog.products[index]
    return [
        product.product_id,
        product.sku,
        product.name,
        product.category,
        product.brew_method,
        format_cents(run.catalog.price_usd(index, week_index(at))),
        format_cents(product.cost),
        "USD",
        str(product.sustainability_score),
        str(product.weight_grams),
        "true",
        iso(at),
    ]


def _distributor_row(run: _Run, index: int, at: int) -> list[str]:
    d = run.catalog.reference.distributors[index]
    raise_factor = 1.1 ** run.catalog.penalty_revisions(index, _month(at))
    penalty = round(d.penalty_per_late_day * raise_factor)
    return [
        d.distributor_id,
        d.name,
        d.region,
        d.country,
        d.currency,
        str(d.sla_days),
        format_cents(penalty),
        format_cents(round(d.penalty_cap * raise_factor)),
        "2025-01-01",
        iso(at),
    ]


def _late_customers(run: _Run) -> None:
    """Customers whose row was held back a batch (their orders arrived first)."""
    for number in run.state.deferred_customers:
        created = run.customers.created[number - 1]
        row = customer_row(run.plan.seed, number, 0, created, created)
        run.out.write(CUSTOMERS, row, faults=False)
    run.state.deferred_customers = []


def _open_orders(run: _Run, store: ObjectStore, previous: GeneratorState) -> None:
    """Next events of orders still open at the previous batch."""
    plan, catalog, csrs = run.plan, run.catalog, run.catalog.reference.csrs
    for number, customer, placed, next_event in read_open_orders(store, previous):
        if next_event > run.hi:
            run.open_orders.write(f"{number},{customer},{placed},{next_event}\n".encode())
            run.open_count += 1
            continue
        life = derive_order(
            catalog, plan.seed, number, customer_profile(plan.seed, customer), placed, csrs
        )
        run.emit_life(life)
        run.keep_open(life, customer)


def _new_orders(run: _Run, progress: Progress | None) -> int:
    plan, catalog, customers, rng, out = run.plan, run.catalog, run.customers, run.rng, run.out
    faults_rng = SimRandom(mix(plan.seed, 14, plan.batch_no))
    csrs = catalog.reference.csrs
    placed_orders = 0
    # Exactly round(orders x share) new customers, chosen by selection sampling (streaming).
    orders_left = plan.orders
    new_left = round(plan.orders * plan.new_customer_share)
    held_back = set(run.state.deferred_customers)
    for piece in order_slices(run.lo, run.hi, plan.orders):
        times = sorted(rng.randint(piece.start + 1, piece.end) for _ in range(piece.orders))
        for at in times:
            orphan = False
            is_new = not len(customers) or rng.random() * orders_left < new_left
            orders_left -= 1
            if is_new:
                new_left = max(0, new_left - 1)
                created = at - rng.randint(60, 900)
                number = customers.add(created)
                if faults_rng.random() < run.orphan_rate:
                    orphan = True
                    run.state.deferred_customers.append(number)
                    held_back.add(number)
                else:
                    out.write(CUSTOMERS, customer_row(plan.seed, number, 0, created, created))
            else:
                number = customers.pick_returning(plan.seed, rng, at)
                # A changed address or channel; never for a customer whose first row is held back.
                if rng.random() < 0.02 and number not in held_back:
                    version = customers.change_details(number)
                    row = customer_row(
                        plan.seed, number, version, customers.created[number - 1], at - 30
                    )
                    out.write(CUSTOMERS, row)
            customers.last_order[number - 1] = at
            order_no = run.state.next_order_no
            run.state.next_order_no += 1
            life = derive_order(
                catalog, plan.seed, order_no, customer_profile(plan.seed, number), at, csrs
            )
            if orphan:
                line = out.write(ORDERS, order_row(life, run.hi), faults=False)
                out.record_fault(
                    FaultRecord(
                        "orders",
                        out.file(ORDERS).summary.key,
                        line,
                        FaultKind.ORPHAN_PARENT,
                        Outcome.INFERRED_PARENT,
                        {"order_id": order_id(order_no)},
                        column="customer_id",
                        detail=f"customer {life.customer.customer_id} arrives in the next batch",
                    )
                )
            run.emit_life(life, order_row_written=orphan)
            run.keep_open(life, number)
        placed_orders += piece.orders
        if progress:
            progress(piece.orders)
    return placed_orders


def _inventory(run: _Run) -> None:
    """A snapshot per stockist and carried product at the end of each day in the window."""
    catalog, state = run.catalog, run.state
    products = catalog.products
    for midnight in boundaries(run.lo, run.hi, DAY):
        day = midnight - DAY
        rng = SimRandom(mix(run.plan.seed, 13, day))
        weekday_factor = 0.7 if time.gmtime(day).tm_wday >= 5 else 1.0
        for s_index, stockist in enumerate(catalog.reference.stockists):
            for p_index, product in enumerate(products):
                if mix(run.plan.seed, 10, s_index, p_index) % 3:
                    continue
                reorder_point = 3 + product.popularity // 3
                key = f"{stockist.stockist_id}/{product.product_id}"
                on_hand = state.inventory.get(key, reorder_point * 3)
                mean = product.popularity / 6 * weekday_factor
                sold = min(on_hand, int(rng.expovariate(1 / mean) + 0.5) if mean else 0)
                received = (
                    reorder_point * 3
                    if on_hand - sold < reorder_point and rng.random() < 0.6
                    else 0
                )
                on_hand = on_hand - sold + received
                state.inventory[key] = on_hand
                run.out.write(
                    INVENTORY_SNAPSHOTS,
                    [
                        iso_date(day),
                        stockist.stockist_id,
                        product.product_id,
                        str(on_hand),
                        str(sold),
                        str(received),
                        str(reorder_point),
                        iso(midnight),
                    ],
                )


def _csr_badges(run: _Run) -> None:
    """Badges for every CSR week that ended inside the window."""
    weeks = run.state.csr_weeks
    for week, stats in run.csr_weeks.items():
        merged = weeks.setdefault(week, {})
        for csr, values in stats.items():
            old = merged.setdefault(csr, [0, 0, 0])
            merged[csr] = [a + b for a, b in zip(old, values, strict=True)]
    csrs = {c.csr_id: c for c in run.catalog.reference.csrs}
    for week in sorted(weeks, key=int):
        week_end = WEEK_ORIGIN + (int(week) + 1) * WEEK
        if week_end > run.hi:
            continue
        stats = weeks.pop(week)
        busiest = max(stats.items(), key=lambda item: (item[1][0], item[0]), default=None)
        for csr_id, (cases, response, csat) in sorted(stats.items()):
            badges = []
            if cases >= 3 and response / cases <= 15:
                badges.append(("rapid_responder", "average first response of 15 minutes or less"))
            if cases >= 3 and csat / cases >= 4.5:
                badges.append(("customer_favourite", "average CSAT of 4.5 or more"))
            if busiest and busiest[0] == csr_id and cases >= 5:
                badges.append(("workhorse", "most cases resolved this week"))
            person = csrs[csr_id]
            for badge, criteria in badges:
                run.out.write(
                    CSR_BADGES,
                    [
                        csr_id,
                        person.name,
                        person.team,
                        badge,
                        iso_date(week_end - DAY),
                        f"{criteria} ({int(cases)} cases)",
                        iso(week_end),
                    ],
                )


def run_batch(
    store: ObjectStore,
    reference: ReferenceData,
    previous: GeneratorState,
    plan: BatchPlan,
    progress: Progress | None = None,
) -> tuple[GeneratorState, BatchResult]:
    """Write batch `plan` on top of `previous`; returns the state to commit and what was written."""
    state = GeneratorState.from_json(previous.to_json())  # a deep copy
    state.batch_no, state.as_of = plan.batch_no, plan.as_of
    customers = load_customers(store, previous)
    known_customers = len(customers)
    rates = {FaultKind(kind): rate for kind, rate in plan.fault_rates.items()}
    open_key = f"{STATE_PREFIX}/open-orders-{plan.batch_no:06d}.csv"
    customers_key = f"{STATE_PREFIX}/customers-{plan.batch_no:06d}.bin"
    with BatchOutput(store, plan.seed, plan.batch_no, plan.batch_id, rates) as out:
        open_orders = out.stack.enter_context(store.atomic_writer(open_key))
        run = _Run(
            plan,
            state,
            Catalog(reference, plan.seed),
            customers,
            out,
            open_orders,
            SimRandom(mix(plan.seed, 8, plan.batch_no)),
            rates.get(FaultKind.ORPHAN_PARENT, 0.0),
        )
        _reference_rows(run)
        _late_customers(run)
        _open_orders(run, store, previous)
        new_orders = _new_orders(run, progress)
        _inventory(run)
        _csr_badges(run)
        files = out.finish()
    store.write_atomic(customers_key, customers.to_bytes())
    state.customers_key, state.open_orders_key = customers_key, open_key
    result = BatchResult(
        plan,
        files,
        dict(sorted(out.fault_counts.items())),
        new_orders,
        len(customers) - known_customers,
        run.open_count,
        len(customers),
        out.summary_key,
    )
    summary = {
        "batch_id": plan.batch_id,
        "plan": plan.__dict__,
        "window": {"start": iso(plan.window_start), "end": iso(plan.as_of)},
        "files": [f.__dict__ for f in files],
        "faults": result.fault_counts,
        "faults_manifest": out.faults_key,
        "new_orders": new_orders,
        "new_customers": result.new_customers,
        "open_orders": run.open_count,
        "customers": len(customers),
    }
    store.write_atomic(out.summary_key, json.dumps(summary, indent=1, sort_keys=True).encode())
    return state, result
