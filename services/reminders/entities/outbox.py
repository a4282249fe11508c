"""`reminders.notification_outbox`: reminders the pipeline proposed, and what became of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.reminders.entities.fields import Channel, OutboxStatus
from services.reminders.tables import notification_outbox
from shared.crud import Resource
from shared.fields import Timestamp

RESOURCE = Resource(
    table=notification_outbox,
    entity="outbox message",
    key="id",
    sort_keys=("id", "created_at", "sent_at", "status", "customer_id"),
    default_sort="-created_at",
)


class OutboxMessagePublic(BaseModel):
    """One reminder in the outbox."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 17,
                "customer_id": "C0000042",
                "product_id": "P0007",
                "channel": "email",
                "cadence_window": "2026-11-23/14d",
                "status": "sent",
                "attempts": 1,
                "payload": {"template": "replenish", "product_name": "House Espresso Blend 1kg"},
                "created_at": "2026-11-23T08:00:00Z",
                "sent_at": "2026-11-23T08:05:00Z",
                "next_attempt_at": "2026-11-23T08:00:00Z",
                "last_error": None,
            }
        }
    )

    id: int
    customer_id: str
    product_id: str
    channel: str
    cadence_window: str
    status: str
    attempts: int
    payload: dict[str, Any]
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime
    last_error: str | None


class OutboxFilters(BaseModel):
    """Filters of the outbox list."""

    status: OutboxStatus | None = None
    customer_id: str | None = Field(default=None, max_length=64)
    channel: Channel | None = None
    created_at_from: Timestamp | None = Field(default=None, description="Inclusive.")
    created_at_before: Timestamp | None = Field(default=None, description="Exclusive.")
