"""GET /api/admin/audit: the audit log of back-office writes (admins only)."""

from __future__ import annotations

from fastapi import APIRouter

from services.admin.entities.audit import RESOURCE, AuditFilters
from shared.audit import AuditEntryPublic
from shared.identity import Role
from shared.list_route import add_list_route

router = APIRouter(prefix="/api/admin/audit", tags=["admin-audit"])

add_list_route(
    router,
    resource=RESOURCE,
    public=AuditEntryPublic,
    filters=AuditFilters,
    role=Role.ADMIN,
    operation_id="admin_list_audit_entries",
    summary="Who changed what and when, newest first",
    description="Entries of the audit log, filtered by entity, key, actor, action or time.",
)
