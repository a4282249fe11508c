"""Mart rows for the transparency tests.

`MartWriter.add(table, **columns)` inserts one row with defaults for the columns a test is not
about, so each test names only what it checks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

SCORES = "/api/transparency/trust/scores"
SNAPSHOTS = "/api/transparency/logistics/snapshots"
BADGES = "/api/transparency/badges"
METRICS = "/api/trust/metrics"
METRICS_EXPORT = "/api/trust/metrics/export"

REFRESHED = datetime(2026, 11, 27, 6, tzinfo=UTC)
AS_OF = date(2026, 11, 26)

DEFAULTS: dict[str, dict[str, Any]] = {
    "mart_trust_scores": {
        "shipments_due": 0, "delivered_on_time": 0, "shipments_late": 0, "shipments_pending": 0,
        "late_days_total": 0, "support_cases": 0, "badge": "unrated", "breach_flags": [],
        "goodwill_action": "none", "refreshed_at": REFRESHED,
    },
    "mart_logistics_sla": {
        "regions_served": [], "cities_served": [], "orders_routed_30d": 0, "shipments_30d": 0,
        "breaches_30d": 0, "late_days_30d": 0, "penalty_amount": Decimal(0),
        "base_currency": "USD", "stock_alerts": 0, "stock_alert_products": [],
        "as_of_date": AS_OF, "refreshed_at": REFRESHED,
    },
    "trust_metrics": {"time_window": "30d", "as_of_date": AS_OF, "refreshed_at": REFRESHED},
}  # fmt: skip
