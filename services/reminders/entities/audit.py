"""`reminders.audit_log`: who changed which reminder configuration or CSR metadata, and how."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.reminders.entities import csr, preferences
from services.reminders.tables import audit_log
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

ReminderAuditedEntity = Literal["configuration", "CSR"]
publish_enum("ReminderAuditedEntity", ReminderAuditedEntity)
# The names the audit log records are the resources' own; a test keeps the Literal in step.
AUDITED_RESOURCES = (preferences.RESOURCE, csr.RESOURCE)


class ReminderAuditFilters(BaseModel):
    """Filters of the reminders audit log."""

    entity: ReminderAuditedEntity | None = None
    entity_id: str | None = Field(default=None, max_length=64)
    actor_sub: str | None = Field(
        default=None, alias="actor", max_length=200, description="The actor's subject."
    )
    action: AuditAction | None = None
    at_from: Timestamp | None = Field(default=None, description="Inclusive.")
    at_before: Timestamp | None = Field(default=None, description="Exclusive.")
