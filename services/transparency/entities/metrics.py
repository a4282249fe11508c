"""`transparency.trust_metrics`: the headline numbers, one row per metric."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, String, case, func, select

from services.transparency.tables import trust_metrics

# One row per metric: a dozen today. The cap only bounds the shared export helper.
EXPORT_ROW_CAP = 1_000
EXPORT_FILENAME = "trust_metrics.csv"

_EXAMPLE_METRIC: dict[str, Any] = {
    "metric": "on_time_delivery_rate",
    "value": "0.8433",
    "unit": "ratio",
    "time_window": "30d",
    "target": "0.9000",
    "target_direction": "at_least",
    "meets_target": False,
    "description": (
        "Shipments delivered by their promised date / shipments due (delivered, or undelivered"
        " past the promised date), by promised date"
    ),
    "as_of_date": "2026-11-26",
    "refreshed_at": "2026-11-27T06:00:00Z",
}


class TrustMetricPublic(BaseModel):
    """One headline metric with its unit, window and target (docs/trust_metrics.md)."""

    model_config = ConfigDict(json_schema_extra={"example": _EXAMPLE_METRIC})

    metric: str
    value: Decimal | None = Field(description="In `unit`; null when there is nothing to measure.")
    unit: str = Field(description="ratio (0-1), days, minutes, score (-1..1), count or currency.")
    time_window: str = Field(description="30d: the 30 days to as_of_date; latest: latest snapshot.")
    target: Decimal | None
    target_direction: str | None = Field(description="at_least or at_most; null without target.")
    meets_target: bool | None = Field(description="Null without a target or a value.")
    description: str
    as_of_date: date | None
    refreshed_at: datetime


class TrustMetricsPublic(BaseModel):
    """Every headline metric, by name, and the data date they were computed for."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"as_of_date": "2026-11-26", "data": [_EXAMPLE_METRIC]}}
    )

    as_of_date: date | None = Field(
        description="The data date (newest order's UTC day); null before the first build."
    )
    data: list[TrustMetricPublic]


def metrics_statement() -> Select[Any]:
    """Every metric row, by metric name."""
    return select(trust_metrics).order_by(trust_metrics.c.metric)


def export_statement() -> Select[Any]:
    """The metric rows as the export guidance writes them: booleans as true/false and
    `refreshed_at` as ISO 8601 in UTC (COPY alone would write t/f and a space-separated time)."""
    table = trust_metrics.c
    meets_target = case(
        (table.meets_target.is_(True), "true"), (table.meets_target.is_(False), "false")
    )
    refreshed_at = func.to_char(
        func.timezone("UTC", table.refreshed_at),
        'YYYY-MM-DD"T"HH24:MI:SS.US"Z"',
        type_=String,
    )
    return select(
        table.metric,
        table.value,
        table.unit,
        table.time_window,
        table.target,
        table.target_direction,
        meets_target.label("meets_target"),
        table.description,
        table.as_of_date,
        refreshed_at.label("refreshed_at"),
    ).order_by(table.metric)
