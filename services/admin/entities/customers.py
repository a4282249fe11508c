"""`admin.customers`: the resource and its create, update, public and filter models."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool

from services.admin.constraints import CUSTOMER_CONSTRAINTS
from services.admin.entities.fields import Email, EntityKey, ShortText
from services.admin.tables import customers
from shared.crud import Resource
from shared.fields import TimeZoneName
from shared.openapi_components import publish_enum
from shared.request_models import PatchModel, RequestModel

RESOURCE = Resource(
    table=customers,
    entity="customer",
    key="customer_id",
    sort_keys=("customer_id", "last_name", "first_name", "email", "country", "updated_at"),
    default_sort="last_name,first_name",
    search_columns=("first_name", "last_name", "email", "city"),
    constraints=CUSTOMER_CONSTRAINTS,
)

ContactChannel = Literal["email", "sms", "push", "phone"]
# One component each in the OpenAPI document, however many fields use them.
publish_enum("ContactChannel", ContactChannel)


_EXAMPLE: dict[str, JsonValue] = {
    "customer_id": "C00042",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "country": "GB",
    "region": "north",
    "city": "London",
    "timezone": "Europe/London",
    "preferred_channel": "email",
    "marketing_opt_in": False,
}


class CustomerCreate(RequestModel):
    """A new customer."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    customer_id: EntityKey
    first_name: ShortText
    last_name: ShortText
    email: Email
    country: ShortText
    region: ShortText | None = None
    city: ShortText | None = None
    timezone: TimeZoneName | None = None
    preferred_channel: ContactChannel | None = None
    marketing_opt_in: StrictBool = False


class CustomerUpdate(PatchModel):
    """Fields of a customer to change; omitted fields keep their value."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "ada@example.org", "marketing_opt_in": True}]}
    )
    nullable_fields: ClassVar[frozenset[str]] = frozenset(
        {"region", "city", "timezone", "preferred_channel"}
    )

    first_name: ShortText | None = None
    last_name: ShortText | None = None
    email: Email | None = None
    country: ShortText | None = None
    region: ShortText | None = None
    city: ShortText | None = None
    timezone: TimeZoneName | None = None
    preferred_channel: ContactChannel | None = None
    marketing_opt_in: StrictBool | None = None


class CustomerPublic(BaseModel):
    """A customer as the API returns it; `version` is also its ETag."""

    model_config = ConfigDict(json_schema_extra={"example": {**_EXAMPLE, "version": 1}})

    customer_id: str
    first_name: str | None = Field(description="Empty when the source system has none.")
    last_name: str | None = Field(description="Empty when the source system has none.")
    email: str
    country: str
    region: str | None
    city: str | None
    timezone: str | None
    preferred_channel: str | None
    marketing_opt_in: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerFilters(BaseModel):
    """Exact filters of the customer list."""

    country: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=200)
    preferred_channel: ContactChannel | None = None
    marketing_opt_in: bool | None = None
