"""Public shapes of the revenue mart (its table model: `services.admin.tables.MartDailyRevenue`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class DailyRevenuePublic(BaseModel):
    """A revenue row as the API returns it (plain pydantic: cheap to build per row)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "order_date": "2026-11-26",
                "channel": "web",
                "region": "north",
                "orders": 12,
                "units": 31,
                "gross_revenue": "1190.00",
                "discounts": "45.50",
                "net_revenue": "1234.50",
                "average_order_value": "102.88",
                "new_customers": 4,
                "returning_customers": 8,
                "cancelled_orders": 1,
                "returned_orders": 0,
                "currency": "USD",
                "refreshed_at": "2026-11-26T21:00:00Z",
            }
        }
    )

    order_date: date
    channel: str
    region: str
    orders: int
    units: int
    gross_revenue: Decimal
    discounts: Decimal
    net_revenue: Decimal
    average_order_value: Decimal | None
    new_customers: int
    returning_customers: int
    cancelled_orders: int
    returned_orders: int
    currency: str
    refreshed_at: datetime


class KpiSummaryPublic(BaseModel):
    """Totals of the revenue mart over a range; days without rows count for nothing."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "first_day": "2026-11-01",
                "last_day": "2026-11-26",
                "days": 26,
                "orders": 5210,
                "cancelled_orders": 188,
                "returned_orders": 41,
                "units": 13020,
                "net_revenue": "412345.60",
                "average_order_value": "79.15",
                "currency": "USD",
            }
        }
    )

    first_day: date | None
    last_day: date | None
    days: int
    orders: int
    cancelled_orders: int
    returned_orders: int
    units: int
    net_revenue: Decimal
    average_order_value: Decimal | None
    currency: str | None
