"""GET /api/loyalty/bundles: per segment, its offer and its most recommended add-ons."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.loyalty.entities.bundles import (
    DEFAULT_TOP,
    BundleFilters,
    BundlesPublic,
    TopQuery,
    bundle_products,
    bundle_segments,
    bundles_page,
)
from shared.identity import Principal, Role
from shared.list_query import query_model
from shared.problems import problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/loyalty/bundles", tags=["loyalty-bundles"])


@router.get(
    "",
    operation_id="loyalty_list_bundles",
    summary="Bundled add-ons per segment: the products recommended to most of its customers",
    response_model=BundlesPublic,
    responses=problem_responses(401, 403, 422),
)
async def list_bundles(
    session: SessionDep,
    _caller: Annotated[Principal, Depends(require_role(Role.VIEWER))],
    filters: Annotated[BundleFilters, query_model(BundleFilters)],
    top: TopQuery = DEFAULT_TOP,
) -> BundlesPublic:
    """Each segment with recommendations (or the one asked for): offer and top products."""
    segments = (await session.execute(bundle_segments(filters.segment))).mappings().all()
    products = (await session.execute(bundle_products(filters.segment, top))).mappings().all()
    return bundles_page(list(segments), list(products), top)
