"""/api/reminders/csr: CSR metadata; viewers read it, csr and above create or replace it (each
change lands in the audit log)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from services.reminders.entities.csr import RESOURCE, CsrFilters, CsrPublic, CsrReplace
from services.reminders.entities.fields import CsrId
from services.reminders.tables import CHANGE_LOG
from shared.concurrency import OptionalIfMatchDep, etag_for
from shared.crud import Repository
from shared.identity import Principal, Role
from shared.list_route import add_list_route
from shared.problems import problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/reminders/csr", tags=["reminders-csr"])

CsrIdPath = Annotated[CsrId, Path(description="The CSR's id, e.g. CSR001.")]


add_list_route(
    router,
    resource=RESOURCE,
    public=CsrPublic,
    filters=CsrFilters,
    role=Role.VIEWER,
    operation_id="reminders_list_csrs",
    summary="CSR metadata: filter by team or active, search, sort, page",
    description="A page of CSR metadata.",
)


@router.get(
    "/{csr_id}",
    operation_id="reminders_get_csr",
    summary="One CSR's metadata, with its ETag",
    response_model=CsrPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_csr(
    session: SessionDep,
    response: Response,
    _caller: Annotated[Principal, Depends(require_role(Role.VIEWER))],
    csr_id: CsrIdPath,
) -> CsrPublic:
    """The metadata of one CSR."""
    row = await Repository(session, RESOURCE).get(csr_id)
    response.headers["ETag"] = etag_for(row["version"])
    return CsrPublic.model_validate(row)


@router.put(
    "/{csr_id}",
    operation_id="reminders_put_csr",
    summary="Create a CSR's metadata (201) or replace it (200; If-Match required)",
    response_model=CsrPublic,
    responses={
        201: {"description": "Created.", "model": CsrPublic},
        **problem_responses(401, 403, 409, 412, 422, 428),
    },
)
async def put_csr(
    session: SessionDep,
    response: Response,
    caller: Annotated[Principal, Depends(require_role(Role.CSR))],
    if_match: OptionalIfMatchDep,
    csr_id: CsrIdPath,
    body: CsrReplace,
) -> CsrPublic:
    """Store the whole metadata of one CSR; replacing needs the ETag of the last read."""
    row, created = await Repository(session, RESOURCE, CHANGE_LOG).put(
        csr_id, body.model_dump(), if_match, caller
    )
    if created:
        response.status_code = 201
        response.headers["Location"] = f"{router.prefix}/{csr_id}"
    response.headers["ETag"] = etag_for(row["version"])
    return CsrPublic.model_validate(row)
