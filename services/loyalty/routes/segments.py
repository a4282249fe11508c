"""GET /api/loyalty/segments: every segment's rules, size and averages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.loyalty.entities.segments import SegmentsPublic, segment_statistics, segments_page
from shared.identity import Principal, Role
from shared.problems import problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/loyalty/segments", tags=["loyalty-segments"])


@router.get(
    "",
    operation_id="loyalty_list_segments",
    summary="Every RFM segment: its rules, customers, share and average R, F and M",
    response_model=SegmentsPublic,
    responses=problem_responses(401, 403, 422),
)
async def list_segments(
    session: SessionDep,
    _caller: Annotated[Principal, Depends(require_role(Role.VIEWER))],
) -> SegmentsPublic:
    """All segments best first, empty ones included, from the customer summary mart."""
    rows = (await session.execute(segment_statistics())).mappings().all()
    return segments_page(list(rows))
