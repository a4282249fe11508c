"""`reminders.analytics_event_log`: what callers report happened (opens, clicks, opt-outs)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.reminders.entities.fields import CustomerId
from services.reminders.tables import analytics_event_log
from shared.crud import Resource
from shared.request_models import RequestModel

RESOURCE = Resource(
    table=analytics_event_log,
    entity="event",
    key="id",
    sort_keys=("id", "occurred_at"),
    default_sort="-id",
    owner_column="customer_id",
)

# Large enough for any event's context, small enough that one caller cannot bloat the log.
MAX_PAYLOAD_BYTES = 8192

EventType = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_.]{0,63}$"),
    Field(description="Dotted lower-case name, e.g. reminder.opened."),
]


class EventCreate(RequestModel):
    """An analytics event to append to the log."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_type": "reminder.opened",
                    "customer_id": "C0000042",
                    "occurred_at": "2026-11-26T08:15:00Z",
                    "payload": {"outbox_id": 17, "channel": "email"},
                }
            ]
        }
    )

    event_type: EventType
    customer_id: CustomerId | None = Field(
        default=None, description="Whom the event is about; a customer's own id by default."
    )
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When it happened; default: when it was received."
    )
    payload: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _payload_fits(self) -> Self:
        if len(json.dumps(self.payload, default=str).encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload is larger than {MAX_PAYLOAD_BYTES} bytes of JSON")
        return self


class EventPublic(BaseModel):
    """An event as the log stored it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 3,
                "event_type": "reminder.opened",
                "customer_id": "C0000042",
                "actor_sub": "C0000042",
                "actor_role": "customer",
                "payload": {"outbox_id": 17, "channel": "email"},
                "occurred_at": "2026-11-26T08:15:00Z",
                "received_at": "2026-11-26T08:15:02Z",
            }
        }
    )

    id: int
    event_type: str
    customer_id: str | None
    actor_sub: str
    actor_role: str
    payload: dict[str, Any]
    occurred_at: datetime
    received_at: datetime
