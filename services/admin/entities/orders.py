"""`admin.orders`: the resource and its create, update, public and filter models."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from services.admin.constraints import ORDER_CONSTRAINTS
from services.admin.entities.fields import Amount, CurrencyCode, EntityKey, ShortText
from services.admin.tables import orders
from shared.crud import Resource
from shared.fields import Timestamp
from shared.openapi_components import publish_enum
from shared.request_models import PatchModel, RequestModel

RESOURCE = Resource(
    table=orders,
    entity="order",
    key="order_id",
    sort_keys=("order_id", "customer_id", "order_date", "status", "total_amount", "updated_at"),
    default_sort="-order_date",
    search_columns=("order_id", "customer_id", "region"),
    constraints=ORDER_CONSTRAINTS,
)

# The generator's values (flows/generator/orders.py); a test keeps the two lists equal.
OrderStatus = Literal["placed", "paid", "shipped", "delivered", "cancelled", "returned"]
SalesChannel = Literal["web", "mobile", "stockist", "distributor"]
# One component each in the OpenAPI document, however many fields use them.
publish_enum("OrderStatus", OrderStatus)
publish_enum("SalesChannel", SalesChannel)

_EXAMPLE: dict[str, JsonValue] = {
    "order_id": "O0000012345",
    "customer_id": "C0000042",
    "order_date": "2026-11-26T10:15:00Z",
    "status": "paid",
    "channel": "web",
    "region": "us-east",
    "currency": "USD",
    "total_amount": "54.20",
}


class OrderCreate(RequestModel):
    """A new order."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    order_id: EntityKey
    customer_id: EntityKey
    order_date: Timestamp
    status: OrderStatus
    channel: SalesChannel
    region: ShortText
    currency: CurrencyCode
    total_amount: Amount


class OrderUpdate(PatchModel):
    """Fields of an order to change; omitted fields keep their value."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "shipped"}]})

    customer_id: EntityKey | None = None
    order_date: Timestamp | None = None
    status: OrderStatus | None = None
    channel: SalesChannel | None = None
    region: ShortText | None = None
    currency: CurrencyCode | None = None
    total_amount: Amount | None = None


class OrderPublic(BaseModel):
    """An order as the API returns it; `version` is also its ETag."""

    model_config = ConfigDict(json_schema_extra={"example": {**_EXAMPLE, "version": 1}})

    order_id: str
    customer_id: str
    order_date: datetime
    status: str
    channel: str
    region: str
    currency: str
    total_amount: Decimal
    version: int
    created_at: datetime
    updated_at: datetime


class OrderFilters(BaseModel):
    """Exact and range filters of the order list."""

    customer_id: str | None = Field(default=None, max_length=64)
    status: OrderStatus | None = None
    channel: SalesChannel | None = None
    region: str | None = Field(default=None, max_length=200)
    currency: CurrencyCode | None = None
    order_date_from: Timestamp | None = Field(default=None, description="Inclusive.")
    order_date_before: Timestamp | None = Field(default=None, description="Exclusive.")
    total_amount_min: Amount | None = None
    total_amount_max: Amount | None = None
