"""POST /api/reminders/events: append an analytics event to the log.

Staff from csr up may report events about anyone (a viewer only reads); a customer only about
themself. Events are not copied to the audit log: the log itself is append-only and every row
carries who reported it (`actor_sub`, `actor_role`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.reminders.entities.events import RESOURCE, EventCreate, EventPublic
from shared.crud import Repository
from shared.identity import Principal, Role
from shared.problems import problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/reminders/events", tags=["reminders-events"])


@router.post(
    "",
    operation_id="reminders_create_event",
    summary="Log an analytics event (csr and up; customers only about themselves)",
    status_code=201,
    response_model=EventPublic,
    responses=problem_responses(401, 403, 422),
)
async def create_event(
    session: SessionDep,
    caller: Annotated[Principal, Depends(require_role(Role.CSR, Role.CUSTOMER))],
    body: EventCreate,
) -> EventPublic:
    """Store the event with who reported it; a customer's event is about that customer."""
    values = body.model_dump(exclude_none=True)
    customer = caller.role is Role.CUSTOMER
    if customer:
        values.setdefault("customer_id", caller.sub)
    values.update(actor_sub=caller.sub, actor_role=caller.role.value)
    # Opened for the customer, the repository refuses (403) an event about anybody else.
    repository = Repository(session, RESOURCE, owner=caller.sub if customer else None)
    return EventPublic.model_validate(await repository.create(values, caller))
