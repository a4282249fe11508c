"""`transparency.mart_logistics_sla`: per current distributor and stockist, the 30-day SLA view."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement

from services.transparency.entities.fields import ContractSubjectType, DistributorId, Region
from services.transparency.tables import mart_logistics_sla
from shared.crud import Resource


def has_stock_alerts(with_alerts: bool) -> ColumnElement[bool]:
    """Subjects with a product at or below its reorder point (`true`), or without (`false`)."""
    alerts = mart_logistics_sla.c.stock_alerts
    condition: ColumnElement[bool] = alerts > 0 if with_alerts else alerts == 0
    return condition


RESOURCE = Resource(
    table=mart_logistics_sla,
    entity="logistics snapshot",
    key="subject_id",
    sort_keys=(
        "subject_type",
        "subject_id",
        "name",
        "region",
        "orders_routed_30d",
        "shipments_30d",
        "breaches_30d",
        "late_days_30d",
        "penalty_amount_base",
        "days_on_hand",
        "snapshot_age_days",
        "stock_alerts",
    ),
    default_sort="subject_type,subject_id",
    search_columns=("subject_id", "name"),
    derived_filters={"with_alerts": has_stock_alerts},
)


class LogisticsSnapshotPublic(BaseModel):
    """One distributor or stockist: coverage, SLA breaches, penalties and inventory cover."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "subject_type": "stockist",
                "subject_id": "S001",
                "name": "Steam Works New York",
                "distributor_id": "D001",
                "stockist_id": "S001",
                "region": "us-east",
                "country": "US",
                "stockists": None,
                "regions_served": ["us-east"],
                "cities_served": ["New York"],
                "orders_routed_30d": 118,
                "sla_days": 2,
                "shipments_30d": 97,
                "breaches_30d": 6,
                "late_days_30d": 11,
                "penalty_per_late_day": "14.00",
                "penalty_cap": "56.00",
                "currency": "USD",
                "penalty_amount": "154.00",
                "fx_rate": "1.000000",
                "penalty_amount_base": "154.00",
                "base_currency": "USD",
                "on_hand_units": 240,
                "avg_daily_units_sold": "12.50",
                "days_on_hand": "19.2",
                "last_snapshot_date": "2026-11-26",
                "snapshot_age_days": 0,
                "stock_alerts": 1,
                "stock_alert_products": ["P0007"],
                "as_of_date": "2026-11-26",
                "refreshed_at": "2026-11-27T06:00:00Z",
            }
        }
    )

    subject_type: str
    subject_id: str
    name: str | None
    distributor_id: str | None = Field(description="The distributor, or the stockist's.")
    stockist_id: str | None
    region: str | None
    country: str | None
    stockists: int | None = Field(description="Stockists supplied (distributor rows only).")
    regions_served: list[str]
    cities_served: list[str]
    orders_routed_30d: int
    sla_days: int | None
    shipments_30d: int
    breaches_30d: int
    late_days_30d: int
    penalty_per_late_day: Decimal | None
    penalty_cap: Decimal | None
    currency: str | None = Field(description="The contract currency of the penalties.")
    penalty_amount: Decimal
    fx_rate: Decimal | None
    penalty_amount_base: Decimal | None = Field(description="Null when no FX rate is known.")
    base_currency: str
    on_hand_units: int | None
    avg_daily_units_sold: Decimal | None
    days_on_hand: Decimal | None = Field(description="Null when nothing sold.")
    last_snapshot_date: date | None
    snapshot_age_days: int | None
    stock_alerts: int
    stock_alert_products: list[str] = Field(description="At most 10 product ids, sorted.")
    as_of_date: date | None = Field(description="The data date the 30-day windows end on.")
    refreshed_at: datetime


class LogisticsFilters(BaseModel):
    """Exact filters of the logistics snapshots."""

    subject_type: ContractSubjectType | None = None
    region: Region | None = None
    distributor_id: DistributorId | None = None
    with_alerts: bool | None = Field(
        default=None, description="true: subjects with stock alerts; false: without."
    )
