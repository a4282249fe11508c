"""GET /api/reminders/audit: the audit log of configuration and CSR metadata changes (admins)."""

from __future__ import annotations

from fastapi import APIRouter

from services.reminders.entities.audit import RESOURCE, ReminderAuditFilters
from shared.audit import AuditEntryPublic
from shared.identity import Role
from shared.list_route import add_list_route

router = APIRouter(prefix="/api/reminders/audit", tags=["reminders-audit"])

add_list_route(
    router,
    resource=RESOURCE,
    public=AuditEntryPublic,
    filters=ReminderAuditFilters,
    role=Role.ADMIN,
    operation_id="reminders_list_audit_entries",
    summary="Who changed which configuration or CSR and when, newest first",
    description="Entries of the audit log, filtered by entity, key, actor, action or time.",
)
