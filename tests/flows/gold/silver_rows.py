"""Hand-written silver rows for golden mart tests: write only the columns a test is about.

`SilverWriter.add(table, **columns)` inserts one row into `silver.<table>` with defaults for the
rest (provenance from one test bronze file, SCD2 columns for history tables, base-currency
amounts equal to the native ones unless given). Tests then build marts with `build`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import asyncpg

from flows.gold import MartBuild, build_marts
from flows.gold.marts import MART_BY_NAME

NOW = datetime(2026, 11, 27, tzinfo=UTC)

# Columns every row of the table needs unless the test says otherwise.
DEFAULTS: dict[str, dict[str, Any]] = {
    "distributors": {"name": "Distributor", "region": "north", "sla_days": 3, "currency": "USD"},
    "stockists": {
        "name": "Stockist", "distributor_id": "D-1", "region": "north", "sla_days": 2,
        "currency": "USD",
    },
    "products": {
        "name": "Product", "category": "beans", "price": Decimal("10.00"), "currency": "USD",
    },
    "customers": {
        "email": "someone@example.com", "country": "US", "region": "north", "timezone": "UTC",
        "created_at": datetime(2025, 1, 1, tzinfo=UTC),
    },
    "orders": {
        "status": "delivered", "channel": "web", "region": "north", "currency": "USD",
        "fx_rate": Decimal(1),
    },
    "order_items": {"quantity": 1, "unit_price": Decimal("10.00"), "currency": "USD"},
    "shipments": {"carrier": "ParcelCo", "status": "delivered"},
    "support_interactions": {"csr_id": "CSR-1", "channel": "email"},
    "inventory_snapshots": {"on_hand_units": 10},
    "fx_rates": {"base_currency": "USD"},
    "payments": {"method": "card", "status": "captured", "currency": "USD", "fx_rate": Decimal(1)},
    "csr_badges": {},
}  # fmt: skip
HISTORY = {"distributors", "stockists", "products", "customers"}
BASE_AMOUNTS = {
    "orders": (
        "subtotal_amount", "discount_amount", "shipping_amount", "tax_amount", "total_amount",
    ),
    "payments": ("amount",),
}  # fmt: skip


@dataclass
class SilverWriter:
    """Writes hand-checked rows into silver through a superuser connection."""

    connection: asyncpg.Connection
    bronze_file_id: int | None = None
    lines: int = 0
    written: dict[str, int] = field(default_factory=dict)

    async def _file(self) -> int:
        if self.bronze_file_id is None:
            self.bronze_file_id = await self.connection.fetchval(
                """
                INSERT INTO ops.bronze_files (entity, sha256, bytes, rows, original_name,
                    bronze_path, schema_fingerprint, loaded_at)
                VALUES ('golden', repeat('0', 64), 0, 0, 'golden.csv', 'bronze/golden.csv',
                    repeat('0', 64), now())
                RETURNING bronze_file_id
                """
            )
        return self.bronze_file_id

    async def add(self, table: str, **columns: Any) -> None:
        """Insert one row into `silver.<table>`."""
        row = {**DEFAULTS[table], **columns}
        for amount in BASE_AMOUNTS.get(table, ()):
            if amount in row and f"{amount}_base" not in row:
                rate = Decimal(row.get("fx_rate", 1))
                row[f"{amount}_base"] = (Decimal(row[amount]) * rate).quantize(Decimal("0.01"))
        if table in HISTORY:
            row.setdefault("valid_from", datetime(2000, 1, 1, tzinfo=UTC))
        self.lines += 1
        row.setdefault("updated_at", NOW)
        row.setdefault("bronze_file_id", await self._file())
        row.setdefault("source_line", self.lines)
        names = ", ".join(f'"{name}"' for name in row)
        values = ", ".join(f"${number}" for number in range(1, len(row) + 1))
        await self.connection.execute(
            f"INSERT INTO silver.{table} ({names}) VALUES ({values})", *row.values()
        )
        self.written[table] = self.written.get(table, 0) + 1


async def build(
    dsn: str, *names: str, full: bool = True, base_currency: str = "USD"
) -> list[MartBuild]:
    """Build the named marts (all of them in full by default) as the pipeline role, as the
    flows do: with a second connection for the marts that check alongside their publish."""
    connection = await asyncpg.connect(dsn)
    try:
        marts = tuple(MART_BY_NAME[name] for name in names)
        return await build_marts(
            connection,
            marts,
            uuid.uuid4(),
            base_currency,
            full=full,
            connect=partial(asyncpg.connect, dsn),
        )
    finally:
        await connection.close()


async def one_order_a_day(silver: SilverWriter, first_day: datetime, days: int) -> None:
    """One 10.00 order a day for `days` days from `first_day`, each by a customer of its own."""
    for day in range(days):
        await silver.add(
            "orders",
            order_id=f"O-{day}",
            customer_id=f"C-{day}",
            order_ts=first_day + timedelta(days=day),
            total_amount=Decimal("10.00"),
        )
