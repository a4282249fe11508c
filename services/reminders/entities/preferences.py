"""`reminders.reminder_preferences`: the configurations resource and its models.

A preference targets one customer or one segment (never both) on one channel. Its target is
fixed once created: a customer may then change how often and when they hear from us, but cannot
hand the preference to someone else. To retarget, delete and create.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    WithJsonSchema,
    model_validator,
)

from services.reminders.constraints import CONFIGURATION_CONSTRAINTS
from services.reminders.entities.fields import CadenceDays, Channel, CustomerId, Scope, SegmentName
from services.reminders.tables import reminder_preferences
from shared.crud import Resource
from shared.fields import TimeZoneName
from shared.request_models import PatchModel, RequestModel

RESOURCE = Resource(
    table=reminder_preferences,
    entity="configuration",
    key="preference_id",
    sort_keys=(
        "created_at",
        "updated_at",
        "customer_id",
        "segment",
        "channel",
        "cadence_days",
    ),
    default_sort="created_at",
    owner_column="customer_id",
    constraints=CONFIGURATION_CONSTRAINTS,
)


def _wall_clock(value: time) -> time:
    # Quiet hours are read in the preference's own time zone; an offset would contradict it.
    if value.tzinfo is not None:
        raise ValueError("send quiet hours without an offset; `timezone` says where they apply")
    return value


WallClockTime = Annotated[
    time,
    AfterValidator(_wall_clock),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
            "description": "Local time in the preference's time zone, e.g. 22:00.",
        }
    ),
]
_START, _END = "quiet_hours_start", "quiet_hours_end"
_NONE: dict[str, Any] = {"type": "null"}
_TIME: dict[str, Any] = {"type": "string"}
# The rules below as JSON Schema, so that clients (and schemathesis) see them too.
_QUIET_HOURS_TOGETHER: dict[str, Any] = {
    "anyOf": [
        {"properties": {_START: _NONE, _END: _NONE}},
        {"required": [_START, _END], "properties": {_START: _TIME, _END: _TIME}},
    ]
}
_ONE_TARGET: dict[str, Any] = {
    "oneOf": [
        {
            "required": ["customer_id"],
            "properties": {
                "scope": {"const": "customer"},
                "customer_id": {"type": "string"},
                "segment": _NONE,
            },
        },
        {
            "required": ["segment"],
            "properties": {
                "scope": {"const": "segment"},
                "segment": {"type": "string"},
                "customer_id": _NONE,
            },
        },
    ]
}


def check_quiet_hours(start: time | None, end: time | None) -> None:
    """Quiet hours are both set or both unset; equal times make an empty window (no quiet time).

    A window may cross midnight (22:00-07:00).
    """
    if (start is None) != (end is None):
        raise ValueError("quiet_hours_start and quiet_hours_end are set together or not at all")


_EXAMPLE: dict[str, JsonValue] = {
    "scope": "customer",
    "customer_id": "C0000042",
    "segment": None,
    "channel": "email",
    "cadence_days": 14,
    "quiet_hours_start": "21:30:00",
    "quiet_hours_end": "07:00:00",
    "timezone": "Europe/London",
    "enabled": True,
}


class PreferenceCreate(RequestModel):
    """A new reminder configuration for one customer or one segment."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _EXAMPLE,
                {"scope": "segment", "segment": "business", "channel": "sms", "cadence_days": 7},
            ],
            "allOf": [_ONE_TARGET, _QUIET_HOURS_TOGETHER],
        }
    )

    scope: Scope
    customer_id: CustomerId | None = Field(default=None, description="Set iff scope=customer.")
    segment: SegmentName | None = Field(default=None, description="Set iff scope=segment.")
    channel: Channel
    cadence_days: CadenceDays
    quiet_hours_start: WallClockTime | None = None
    quiet_hours_end: WallClockTime | None = None
    timezone: TimeZoneName = "UTC"
    enabled: StrictBool = True

    @model_validator(mode="after")
    def _one_target_and_whole_quiet_hours(self) -> Self:
        if self.scope == "customer" and (self.customer_id is None or self.segment is not None):
            raise ValueError("a customer-scope configuration names customer_id and no segment")
        if self.scope == "segment" and (self.segment is None or self.customer_id is not None):
            raise ValueError("a segment-scope configuration names segment and no customer_id")
        check_quiet_hours(self.quiet_hours_start, self.quiet_hours_end)
        return self


_QUIET_HOURS = frozenset({"quiet_hours_start", "quiet_hours_end"})


class PreferenceUpdate(PatchModel):
    """Fields of a configuration to change; omitted fields keep their value.

    Quiet hours stay whole: after the change both are set or both are null (a 409 otherwise),
    so a window is changed one end at a time or cleared by nulling both.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"cadence_days": 30, "enabled": False},
                {"quiet_hours_start": "22:00", "quiet_hours_end": "06:30"},
            ],
        }
    )
    nullable_fields: ClassVar[frozenset[str]] = _QUIET_HOURS

    channel: Channel | None = None
    cadence_days: CadenceDays | None = None
    quiet_hours_start: WallClockTime | None = None
    quiet_hours_end: WallClockTime | None = None
    timezone: TimeZoneName | None = None
    enabled: StrictBool | None = None

    def check_result(self, row: Mapping[str, Any]) -> None:
        """The configuration after this change keeps its quiet hours whole."""
        check_quiet_hours(row[_START], row[_END])


class PreferencePublic(BaseModel):
    """A reminder configuration as the API returns it; `version` is also its ETag."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "preference_id": "5f0c6a9e-8a47-4a53-9f55-0c8e7d1b2a10",
                **_EXAMPLE,
                "version": 1,
                "created_at": "2026-11-26T21:00:00Z",
                "updated_at": "2026-11-26T21:00:00Z",
            }
        }
    )

    preference_id: str
    scope: str
    customer_id: str | None
    segment: str | None
    channel: str
    cadence_days: int
    quiet_hours_start: WallClockTime | None
    quiet_hours_end: WallClockTime | None
    timezone: str
    enabled: bool
    version: int
    created_at: datetime
    updated_at: datetime


class PreferenceFilters(BaseModel):
    """Exact filters of the configuration list."""

    scope: Scope | None = None
    customer_id: str | None = Field(default=None, max_length=64)
    segment: str | None = Field(default=None, max_length=64)
    channel: Channel | None = None
    enabled: bool | None = None
