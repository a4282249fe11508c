"""GET /api/reminders/outbox: the reminders the pipeline queued and what became of them."""

from __future__ import annotations

from fastapi import APIRouter

from services.reminders.entities.outbox import RESOURCE, OutboxFilters, OutboxMessagePublic
from shared.identity import Role
from shared.list_route import add_list_route

router = APIRouter(prefix="/api/reminders/outbox", tags=["reminders-outbox"])

add_list_route(
    router,
    resource=RESOURCE,
    public=OutboxMessagePublic,
    filters=OutboxFilters,
    role=Role.VIEWER,
    operation_id="reminders_list_outbox",
    summary="Queued and sent reminders, newest first",
    description="Outbox messages filtered by status, customer, channel or creation time.",
)
