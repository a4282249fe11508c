"""`reminders.analytics_event_log`: what callers report happened (opens, clicks, opt-outs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from services.reminders.constraints import EVENT_CONSTRAINTS
from services.reminders.entities.fields import CustomerId
from services.reminders.tables import analytics_event_log
from shared.crud import Resource
from shared.fields import Timestamp
from shared.request_models import RequestModel

RESOURCE = Resource(
    table=analytics_event_log,
    entity="event",
    key="id",
    sort_keys=("id", "occurred_at"),
    default_sort="-id",
    owner_column="customer_id",
    constraints=EVENT_CONSTRAINTS,
)

# A flat map of scalars: enough context for an event, bounded so that one caller cannot bloat
# the log, and free of what jsonb cannot hold (NUL characters, infinite numbers).
MAX_PAYLOAD_FIELDS = 20
_NO_NUL = r"^[^\x00]*$"
PayloadKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_NO_NUL)]
PayloadText = Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)]
PayloadNumber = Annotated[float, Field(ge=-1e15, le=1e15, allow_inf_nan=False)]
PayloadValue = StrictBool | StrictInt | PayloadNumber | PayloadText | None
Payload = Annotated[
    dict[PayloadKey, PayloadValue],
    Field(max_length=MAX_PAYLOAD_FIELDS, description="Flat context: text, numbers, booleans."),
]

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
    occurred_at: Timestamp | None = Field(
        default=None, description="When it happened; default: when it was received."
    )
    payload: Payload = Field(default_factory=dict)


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
