"""Hand-written CSVs of any landing entity, in the generator's column order."""

from __future__ import annotations

import csv
import io

from flows.generator.entities import ENTITY_BY_NAME
from shared.objectstore import ObjectStore


def render_csv(columns: list[str] | tuple[str, ...], rows: list[dict[str, str]]) -> bytes:
    """Rows as CSV bytes under `columns`; missing values are empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def land_rows(lake: ObjectStore, entity: str, name: str, rows: list[dict[str, str]]) -> str:
    """Write rows of `entity` to `landing/<entity>/<name>.csv`; returns the key."""
    key = f"landing/{entity}/{name}.csv"
    lake.write_atomic(key, render_csv(ENTITY_BY_NAME[entity].columns, rows))
    return key


def customer_row(customer_id: str, **overrides: str) -> dict[str, str]:
    """A valid customer row; keyword arguments replace columns."""
    return {
        "customer_id": customer_id,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": f"{customer_id.lower()}@example.test",
        "phone": "+1-555-0100",
        "city": "Boston",
        "country": "US",
        "region": "us-east",
        "timezone": "America/New_York",
        "customer_type": "consumer",
        "preferred_channel": "email",
        "marketing_opt_in": "true",
        "created_at": "2026-11-01T09:00:00Z",
        "updated_at": "2026-11-01T09:00:00Z",
    } | overrides
