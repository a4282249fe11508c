"""One order's whole life, derived from its number: basket, amounts, payment, shipping, support.

Everything about order N follows from a random stream seeded by (seed, N), so a later batch can
re-derive an open order from three numbers kept in the state and emit its next events.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from flows.generator.catalog import Catalog
from flows.generator.clock import DAY, HOUR, day_start, iso, iso_date
from flows.generator.customers import CustomerProfile, mix
from flows.generator.money import format_cents
from flows.generator.randomness import SimRandom
from flows.generator.reference import Csr, Stockist
from flows.generator.vocabulary import SUPPORT_NOTES

PLACED, PAID, FAILED, CANCELLED, SHIPPED, DELIVERED, RETURNED, SUPPORT = range(8)
ORDER_STATUS = {
    PLACED: "placed",
    PAID: "paid",
    FAILED: "cancelled",
    CANCELLED: "cancelled",
    SHIPPED: "shipped",
    DELIVERED: "delivered",
    RETURNED: "returned",
}
ORDER_STATUSES = ("placed", "paid", "shipped", "delivered", "cancelled", "returned")
SALES_CHANNELS = ("web", "mobile", "stockist", "distributor")
PAYMENT_EVENTS = {PLACED, PAID, FAILED, CANCELLED, RETURNED}
SHIPMENT_EVENTS = {SHIPPED, DELIVERED, RETURNED}
_CONSUMER_CHANNELS = (("web", 55), ("mobile", 30), ("stockist", 15))
_PAYMENT_METHODS = ("card", "card", "card", "card", "paypal", "apple_pay")
_SUPPORT_CHANNELS = (("email", 1.6), ("chat", 0.35), ("phone", 0.15))
_PROMO_CODES = ("WELCOME10", "BREW15", "HOLIDAY20", "LOYAL5")


def order_id(number: int) -> str:
    """The business key of order `number`."""
    return f"O{number:010d}"


@dataclass(slots=True)
class SupportCase:
    """A support interaction about an order."""

    opened: int
    resolved: int
    csr: Csr
    channel: str
    topic: str
    first_response_minutes: int
    resolution_minutes: int
    sentiment: float
    csat: int


@dataclass(slots=True)
class OrderLife:
    """An order and every event of its life, in time order."""

    number: int
    customer: CustomerProfile
    placed: int
    channel: str
    currency: str
    stockist: Stockist | None
    lines: list[tuple[int, int, int, int]]  # product index, quantity, unit price, discount
    subtotal: int
    discount: int
    shipping: int
    tax: int
    promo_code: str
    payment_method: str
    carrier: str
    promised_day: int
    events: list[tuple[int, int]] = field(default_factory=list)
    support: SupportCase | None = None

    @property
    def total(self) -> int:
        """What the customer pays, in order currency cents."""
        return self.subtotal - self.discount + self.shipping + self.tax

    def time_of(self, kind: int) -> int | None:
        """When the event `kind` happened, if it did."""
        return next((at for at, event in self.events if event == kind), None)

    @property
    def last_event(self) -> int:
        """When the order's life ends (its last event)."""
        return self.events[-1][0]


def _basket(catalog: Catalog, customer: CustomerProfile, rng: random.Random) -> list[int]:
    """Products bought together: an anchor from the customer's brew method and its complements."""
    own = catalog.by_method[customer.persona]
    anchor = own.pick(rng) if rng.random() < 0.75 else catalog.everything.pick(rng)
    basket = [anchor]
    method = catalog.products[anchor].brew_method
    family = catalog.by_method.get(method, own)
    beans = catalog.beans_by_method.get(method, catalog.beans_by_method[customer.persona])
    # Equipment buyers nearly always add beans of the same method: the co-purchase signal.
    if catalog.products[anchor].category == "equipment" and rng.random() < 0.8:
        basket.append(beans.pick(rng))
    while len(basket) < 6 and rng.random() < 0.42:
        basket.append(family.pick(rng) if rng.random() < 0.7 else catalog.everything.pick(rng))
    return list(dict.fromkeys(basket))


def derive_order(
    catalog: Catalog,
    seed: int,
    number: int,
    customer: CustomerProfile,
    placed: int,
    csrs: tuple[Csr, ...],
) -> OrderLife:
    """Order `number` of `customer`, placed at `placed`, with its whole future."""
    rng = SimRandom(mix(seed, 2, number))
    region = customer.region
    currency = region.currency
    if customer.business:
        channel = "distributor" if rng.random() < 0.7 else "web"
    else:
        point = rng.random() * 100
        channel = "web" if point < 55 else "mobile" if point < 85 else "stockist"
    stockists = catalog.stockists_by_region[region.code]
    stockist = rng.choice(stockists) if channel == "stockist" else None
    lines = []
    for product in _basket(catalog, customer, rng):
        quantity = 1 + (rng.random() < 0.25) + (rng.random() < 0.08)
        if customer.business:
            quantity *= rng.randint(4, 12)
        unit = catalog.local_price(product, placed, currency)
        lines.append((product, quantity, unit, 0))
    subtotal = sum(quantity * unit for _, quantity, unit, _ in lines)
    rate = (
        0.12
        if customer.business
        else (rng.choice((0.05, 0.1, 0.15, 0.2)) if rng.random() < 0.12 else 0.0)
    )
    promo = "" if rate == 0 else ("TRADE12" if customer.business else rng.choice(_PROMO_CODES))
    lines = [(p, q, u, round(q * u * rate)) for p, q, u, _ in lines]
    discount = sum(line[3] for line in lines)
    free_over = round(5000 / catalog.usd_per_unit[currency])
    shipping = (
        0
        if stockist or subtotal - discount >= free_over
        else round(595 / catalog.usd_per_unit[currency])
    )
    tax = round((subtotal - discount) * region.tax_rate)
    distributor = catalog.distributor_by_region[region.code]
    sla_days = stockist.sla_days if stockist else distributor.sla_days
    on_time = stockist.on_time_rate if stockist else distributor.on_time_rate
    carrier = rng.choice(catalog.carriers_by_region[region.code])
    life = OrderLife(
        number,
        customer,
        placed,
        channel,
        currency,
        stockist,
        lines,
        subtotal,
        discount,
        shipping,
        tax,
        promo,
        "invoice" if customer.business else rng.choice(_PAYMENT_METHODS),
        carrier.carrier,
        day_start(placed) // DAY + sla_days,
    )
    events = life.events
    events.append((placed, PLACED))
    if rng.random() < 0.015:
        events.append((placed + rng.randint(300, 1800), FAILED))
        return life
    paid = placed + rng.randint(60, 1200)
    events.append((paid, PAID))
    if rng.random() < 0.025:
        events.append((paid + rng.randint(HOUR, 20 * HOUR), CANCELLED))
        return life
    # On time means by the promised day; late deliveries slip one to four days past it.
    placed_day = day_start(placed) // DAY
    if rng.random() < on_time * carrier.on_time_rate**0.5:
        delivery_day = placed_day + rng.randint(min(carrier.transit_days, sla_days), sla_days)
    else:
        delivery_day = life.promised_day + rng.randint(1, 4)
    delivered = max(delivery_day * DAY + rng.randint(9 * HOUR, 19 * HOUR), paid + 6 * HOUR)
    shipped = paid + round((delivered - paid) * rng.uniform(0.15, 0.5))
    events.append((shipped, SHIPPED))
    events.append((delivered, DELIVERED))
    late = day_start(delivered) // DAY > life.promised_day
    if not customer.business and rng.random() < 0.04:
        events.append((delivered + rng.randint(2 * DAY, 14 * DAY), RETURNED))
    if rng.random() < (0.35 if late else 0.05):
        life.support = _support_case(life, rng, csrs, late, delivered)
        events.append((life.support.resolved, SUPPORT))
    events.sort()
    return life


def _support_case(
    life: OrderLife, rng: random.Random, csrs: tuple[Csr, ...], late: bool, delivered: int
) -> SupportCase:
    if late:
        topic = "late_delivery"
        opened = (life.promised_day + 1) * DAY + rng.randint(2 * HOUR, 30 * HOUR)
        opened = min(opened, delivered + HOUR)
    else:
        returned = life.time_of(RETURNED)
        topic = (
            "return_request"
            if returned
            else rng.choice(("damaged_item", "billing", "product_question"))
        )
        opened = (
            (returned or delivered) - rng.randint(HOUR, 20 * HOUR)
            if returned
            else delivered + rng.randint(HOUR, 72 * HOUR)
        )
    team = "b2b" if life.customer.business else None
    pool = [c for c in csrs if c.team == team] if team else [c for c in csrs if c.team != "b2b"]
    csr = rng.choice(pool or list(csrs))
    channel, speed = rng.choice(_SUPPORT_CHANNELS)
    first_response = max(
        1, round(rng.lognormvariate(math.log(25 * speed * (1.6 - csr.skill)), 0.6))
    )
    resolution = first_response + round(rng.lognormvariate(math.log(240 * (1.4 - csr.skill)), 0.7))
    sentiment = (
        (-0.35 if late else 0.25) + 0.4 * csr.skill - resolution / 2400 + rng.uniform(-0.25, 0.25)
    )
    sentiment = max(-1.0, min(1.0, sentiment))
    csat = max(1, min(5, round(3 + 2.2 * sentiment + rng.uniform(-0.5, 0.5))))
    return SupportCase(
        opened,
        opened + resolution * 60,
        csr,
        channel,
        topic,
        first_response,
        resolution,
        round(sentiment, 2),
        csat,
    )


def status_at(life: OrderLife, instant: int) -> tuple[str, int]:
    """The order's status and when it last changed, as of `instant`."""
    status, changed = "placed", life.placed
    for at, kind in life.events:
        if at > instant:
            break
        if kind in ORDER_STATUS:
            status, changed = ORDER_STATUS[kind], at
    return status, changed


def order_row(life: OrderLife, instant: int) -> list[str]:
    """The orders row as of `instant`; the trailing value feeds the drift column."""
    status, changed = status_at(life, instant)
    return [
        order_id(life.number),
        life.customer.customer_id,
        iso(life.placed),
        status,
        life.channel,
        life.customer.region.code,
        life.currency,
        format_cents(life.subtotal),
        format_cents(life.discount),
        format_cents(life.shipping),
        format_cents(life.tax),
        format_cents(life.total),
        life.stockist.stockist_id if life.stockist else "",
        iso(changed),
        life.promo_code,
    ]


def item_rows(life: OrderLife, catalog: Catalog) -> list[list[str]]:
    """The order_items rows (written once, when the order is placed)."""
    key = order_id(life.number)
    stamp = iso(life.placed)
    return [
        [
            f"{key}-{line}",
            key,
            str(line),
            catalog.products[product].product_id,
            str(quantity),
            format_cents(unit),
            format_cents(discount),
            format_cents(quantity * unit - discount),
            life.currency,
            stamp,
        ]
        for line, (product, quantity, unit, discount) in enumerate(life.lines, start=1)
    ]


def payment_row(life: OrderLife, instant: int) -> list[str]:
    """The payments row as of `instant`."""
    captured = life.time_of(PAID)
    failed = life.time_of(FAILED)
    refunded = life.time_of(RETURNED) or (life.time_of(CANCELLED) if captured else None)
    status, changed = "authorized", life.placed
    for at, name in ((captured, "captured"), (failed, "failed"), (refunded, "refunded")):
        if at is not None and at <= instant and at >= changed:
            status, changed = name, at
    return [
        f"PAY{life.number:010d}",
        order_id(life.number),
        life.payment_method,
        status,
        format_cents(life.total),
        life.currency,
        iso(life.placed),
        iso(captured) if captured and captured <= instant else "",
        iso(refunded) if refunded and refunded <= instant else "",
        iso(changed),
    ]


def shipment_row(life: OrderLife, catalog: Catalog, instant: int) -> list[str]:
    """The shipments row as of `instant` (the order has shipped by then)."""
    shipped = life.time_of(SHIPPED) or life.placed
    delivered = life.time_of(DELIVERED)
    returned = life.time_of(RETURNED)
    status, changed = "in_transit", shipped
    if delivered and delivered <= instant:
        status, changed = "delivered", delivered
    if returned and returned <= instant:
        status, changed = "returned", returned
    distributor = catalog.distributor_by_region[life.customer.region.code]
    return [
        f"SH{life.number:010d}",
        order_id(life.number),
        life.carrier,
        distributor.distributor_id,
        life.stockist.stockist_id if life.stockist else "",
        iso_date(life.promised_day * DAY),
        iso(shipped),
        iso(delivered) if delivered and delivered <= instant else "",
        status,
        iso(changed),
    ]


def support_row(life: OrderLife) -> list[str]:
    """The support_interactions row (written when the case is resolved)."""
    case = life.support
    assert case is not None
    return [
        f"SI{life.number:010d}",
        order_id(life.number),
        life.customer.customer_id,
        case.csr.csr_id,
        case.channel,
        case.topic,
        iso(case.opened),
        str(case.first_response_minutes),
        str(case.resolution_minutes),
        f"{case.sentiment:.2f}",
        str(case.csat),
        SUPPORT_NOTES[case.topic],
        iso(case.resolved),
    ]
