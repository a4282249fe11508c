"""/api/reminders/csr: CSR metadata; viewers read it, csr and above create or replace it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from services.reminders.entities.csr import RESOURCE, CsrFilters, CsrPublic, CsrReplace
from services.reminders.entities.fields import CsrId
from shared.concurrency import OptionalIfMatchDep, etag_for
from shared.crud import Repository
from shared.identity import Principal, Role
from shared.pagination import Page, PageDep, fetch_page, sort_query
from shared.problems import problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/reminders/csr", tags=["reminders-csr"])

CsrIdPath = Annotated[CsrId, Path(description="The CSR's id, e.g. CSR001.")]


async def csr_filters(filters: Annotated[CsrFilters, Query()]) -> CsrFilters:
    """The filters (FastAPI reads a query model only as a dependency's sole parameter)."""
    return filters


@router.get(
    "",
    operation_id="reminders_list_csrs",
    summary="CSR metadata: filter by team or active, search, sort, page",
    response_model=Page[CsrPublic],
    responses=problem_responses(401, 403, 422),
)
async def list_csrs(
    session: SessionDep,
    page: PageDep,
    _caller: Annotated[Principal, Depends(require_role(Role.VIEWER))],
    filters: Annotated[CsrFilters, Depends(csr_filters)],
    q: Annotated[
        str | None, Query(max_length=100, description="Text search in id, name and team.")
    ] = None,
    sort: Annotated[str, sort_query(RESOURCE.sort_keys)] = RESOURCE.default_sort,
) -> Page[CsrPublic]:
    """A page of CSR metadata."""
    statement = RESOURCE.query(filters.model_dump(exclude_none=True), q, sort)
    rows, total = await fetch_page(session, statement, page)
    return Page[CsrPublic](
        data=[CsrPublic.model_validate(row) for row in rows],
        count=total,
        limit=page.limit,
        offset=page.offset,
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
    row, created = await Repository(session, RESOURCE).put(
        csr_id, body.model_dump(), if_match, caller
    )
    if created:
        response.status_code = 201
        response.headers["Location"] = f"{router.prefix}/{csr_id}"
    response.headers["ETag"] = etag_for(row["version"])
    return CsrPublic.model_validate(row)
