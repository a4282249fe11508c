"""`admin.audit_log`: who changed what, when, with the row before and after."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.admin.tables import audit_log
from shared.audit import AuditAction
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


AuditedEntity = Literal["product", "customer", "order"]
publish_enum("AuditedEntity", AuditedEntity)


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
