"""Synthetic order batches written to `landing/orders/` of the object store.

Deterministic for a given seed and clock: the same options give byte-identical files.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flows.settings import FlowSettings
from shared.objectstore import ObjectStore

ORDER_COLUMNS = (
    "order_id",
    "customer_id",
    "order_date",
    "status",
    "channel",
    "region",
    "currency",
    "total_amount",
    "updated_at",
)
CHANNELS = ("web", "mobile", "stockist", "distributor")
REGIONS = ("north", "south", "east", "west")
STATUSES = ("placed", "paid", "shipped", "delivered", "cancelled")
STATUS_WEIGHTS = (10, 25, 25, 35, 5)


@dataclass(frozen=True)
class GeneratedBatch:
    """Where a batch was written and how many orders it holds."""

    key: str
    orders: int


def _order_rows(
    rng: random.Random, as_of: datetime, orders: int, currency: str
) -> list[dict[str, str]]:
    rows = []
    for _ in range(orders):
        placed = as_of - timedelta(minutes=rng.randint(0, 3 * 24 * 60))
        updated = placed + timedelta(minutes=rng.randint(0, 90))
        rows.append(
            {
                "order_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "customer_id": f"C{rng.randint(1, 500):05d}",
                "order_date": placed.isoformat(timespec="seconds"),
                "status": rng.choices(STATUSES, STATUS_WEIGHTS)[0],
                "channel": rng.choice(CHANNELS),
                "region": rng.choice(REGIONS),
                "currency": currency,
                "total_amount": str(Decimal(rng.randint(450, 25000)) / 100),
                "updated_at": updated.isoformat(timespec="seconds"),
            }
        )
    return rows


def render_orders_csv(rows: list[dict[str, str]]) -> bytes:
    """Rows as CSV bytes with a header, LF line endings."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ORDER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def generate_orders_batch(
    store: ObjectStore,
    *,
    orders: int = 30,
    seed: int | None = None,
    as_of: datetime | None = None,
    currency: str = "USD",
) -> GeneratedBatch:
    """Write one batch of orders to `landing/orders/` atomically and return where."""
    clock = (as_of or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed if seed is not None else clock.timestamp())  # noqa: S311 - synthetic data
    data = render_orders_csv(_order_rows(rng, clock, orders, currency))
    key = f"landing/orders/orders_{clock:%Y%m%dT%H%M%SZ}_{rng.getrandbits(32):08x}.csv"
    store.write_atomic(key, data)
    return GeneratedBatch(key=key, orders=orders)


def generate_configured_batch(
    settings: FlowSettings, *, orders: int | None = None, seed: int | None = None
) -> GeneratedBatch:
    """One batch into the configured lake, sized and priced as the settings say."""
    return generate_orders_batch(
        ObjectStore.from_settings(settings),
        orders=orders or settings.batch_orders,
        seed=seed,
        currency=settings.base_currency,
    )
