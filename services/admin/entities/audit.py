"""`admin.audit_log`: who changed what, when, with the row before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.admin.tables import audit_log
from shared.crud import Resource
from shared.fields import Timestamp
from shared.openapi_components import publish_enum

RESOURCE = Resource(
    table=audit_log,
    entity="audit entry",
    key="id",
    sort_keys=("id", "at", "entity", "actor_sub"),
    default_sort="-id",
)


class AuditEntryPublic(BaseModel):
    """One write as the audit log recorded it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 7,
                "actor_sub": "alice",
                "actor_role": "editor",
                "action": "update",
                "entity": "product",
                "entity_id": "P-1001",
                "before": {"price": "24.90", "version": 1},
                "after": {"price": "19.90", "version": 2},
                "at": "2026-11-26T21:00:00Z",
            }
        }
    )

    id: int
    actor_sub: str
    actor_role: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


AuditedEntity = Literal["product", "customer", "order"]
AuditAction = Literal["create", "update", "delete"]
publish_enum("AuditedEntity", AuditedEntity)
publish_enum("AuditAction", AuditAction)


class AuditFilters(BaseModel):
    """Filters of the audit log."""

    entity: AuditedEntity | None = None
    entity_id: str | None = Field(default=None, max_length=64)
    actor_sub: str | None = Field(
        default=None, alias="actor", max_length=200, description="The actor's subject."
    )
    action: AuditAction | None = None
    at_from: Timestamp | None = Field(default=None, description="Inclusive.")
    at_before: Timestamp | None = Field(default=None, description="Exclusive.")
