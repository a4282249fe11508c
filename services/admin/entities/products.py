"""`admin.products`: the resource and its create, update, public and filter models."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool

from services.admin.constraints import PRODUCT_CONSTRAINTS
from services.admin.entities.fields import CurrencyCode, EntityKey, Money, Score, ShortText
from services.admin.tables import products
from shared.crud import Resource
from shared.request_models import PatchModel, RequestModel

RESOURCE = Resource(
    table=products,
    entity="product",
    key="product_id",
    sort_keys=("product_id", "sku", "name", "category", "price", "updated_at"),
    default_sort="name",
    search_columns=("sku", "name", "category"),
    constraints=PRODUCT_CONSTRAINTS,
)

_EXAMPLE: dict[str, JsonValue] = {
    "product_id": "P0101",
    "sku": "BEA-POU-0101",
    "name": "Ethiopia Yirgacheffe 250g",
    "category": "beans",
    "price": "19.99",
    "cost": "8.40",
    "currency": "USD",
    "sustainability_score": 82,
    "active": True,
}


class ProductCreate(RequestModel):
    """A new product."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    product_id: EntityKey
    sku: ShortText
    name: ShortText
    category: ShortText
    price: Money
    cost: Money | None = None
    currency: CurrencyCode
    sustainability_score: Score | None = None
    active: StrictBool = True


class ProductUpdate(PatchModel):
    """Fields of a product to change; omitted fields keep their value."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"price": "19.90", "active": False}]})
    nullable_fields: ClassVar[frozenset[str]] = frozenset({"cost", "sustainability_score"})

    sku: ShortText | None = None
    name: ShortText | None = None
    category: ShortText | None = None
    price: Money | None = None
    cost: Money | None = None
    currency: CurrencyCode | None = None
    sustainability_score: Score | None = None
    active: StrictBool | None = None


class ProductPublic(BaseModel):
    """A product as the API returns it; `version` is also its ETag."""

    model_config = ConfigDict(json_schema_extra={"example": {**_EXAMPLE, "version": 1}})

    product_id: str
    sku: str | None = Field(description="Empty when the source system has none.")
    name: str
    category: str
    price: Decimal
    cost: Decimal | None
    currency: str
    sustainability_score: int | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ProductFilters(BaseModel):
    """Exact and range filters of the product list."""

    category: str | None = Field(default=None, max_length=200)
    currency: CurrencyCode | None = None
    active: bool | None = None
    price_min: Money | None = Field(default=None, description="Lowest price, inclusive.")
    price_max: Money | None = Field(default=None, description="Highest price, inclusive.")
