"""`reminders.csr_metadata`: what the console shows about each customer service representative."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool, StringConstraints

from services.reminders.constraints import CSR_CONSTRAINTS
from services.reminders.entities.fields import ShortText
from services.reminders.tables import csr_metadata
from shared.crud import Resource
from shared.fields import TimeZoneName
from shared.request_models import RequestModel

RESOURCE = Resource(
    table=csr_metadata,
    entity="CSR",
    key="csr_id",
    sort_keys=("csr_id", "name", "team", "updated_at"),
    default_sort="csr_id",
    search_columns=("csr_id", "name", "team"),
    constraints=CSR_CONSTRAINTS,
)

# BCP 47 language tags as people write them: en, pt-BR, zh-Hant.
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
# Badge names as the generator awards them (rapid_responder, customer_favourite, ...).
BadgeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]

_EXAMPLE: dict[str, JsonValue] = {
    "name": "Lily Allen",
    "team": "tier1",
    "timezone": "Europe/London",
    "languages": ["en", "fr"],
    "badges": ["customer_favourite"],
    "notes": "Escalations for wholesale accounts.",
    "active": True,
}


class CsrReplace(RequestModel):
    """The whole metadata of one CSR (PUT replaces every field; the id comes from the path)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    name: ShortText
    team: ShortText
    timezone: TimeZoneName
    languages: list[LanguageTag] = Field(default_factory=list, max_length=20)
    badges: list[BadgeName] = Field(default_factory=list, max_length=50)
    notes: str | None = Field(default=None, max_length=2000)
    active: StrictBool = True


class CsrPublic(BaseModel):
    """A CSR's metadata as the API returns it; `version` is also its ETag."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "csr_id": "CSR003",
                **_EXAMPLE,
                "version": 1,
                "created_at": "2026-11-26T21:00:00Z",
                "updated_at": "2026-11-26T21:00:00Z",
            }
        }
    )

    csr_id: str
    name: str
    team: str
    timezone: str
    languages: list[str]
    badges: list[str]
    notes: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CsrFilters(BaseModel):
    """Exact filters of the CSR list."""

    team: str | None = Field(default=None, max_length=200)
    active: bool | None = None
