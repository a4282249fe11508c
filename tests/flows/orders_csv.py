"""Hand-written orders CSVs for pipeline tests that need exact rows, not generated data."""

from __future__ import annotations

import csv
import io

from flows.generator.entities import ORDERS
from shared.objectstore import ObjectStore

# The orders CSV shape the generator writes.
ORDER_COLUMNS = ORDERS.columns


def order_row(order_id: str, **overrides: str) -> dict[str, str]:
    """A valid USD order row; keyword arguments replace columns."""
    row = dict.fromkeys(ORDER_COLUMNS, "")
    row |= {
        "order_id": order_id,
        "customer_id": "C00001",
        "order_date": "2026-11-19T10:00:00+00:00",
        "status": "paid",
        "channel": "web",
        "region": "north",
        "currency": "USD",
        "total_amount": "10.00",
        "updated_at": "2026-11-19T10:05:00+00:00",
    }
    row.update(overrides)
    return row


def render_orders_csv(rows: list[dict[str, str]]) -> bytes:
    """Rows as CSV bytes with a header, LF line endings."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ORDER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def land_orders(lake: ObjectStore, name: str, count: int, prefix: str = "o") -> str:
    """Write `count` valid orders to `landing/orders/<name>.csv`; returns the key."""
    key = f"landing/orders/{name}.csv"
    rows = [order_row(f"{prefix}-{n}", total_amount=f"{10 + n}.50") for n in range(count)]
    lake.write_atomic(key, render_orders_csv(rows))
    return key
