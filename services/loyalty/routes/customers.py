"""GET /api/loyalty/customers: the customer summary mart's rows; GET .../{customer_id}: one
customer's summary with its ranked recommendations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from services.loyalty.entities.customers import (
    RESOURCE,
    CustomerLoyaltyPublic,
    CustomerSummaryFilters,
    CustomerSummaryPublic,
    customer_summary,
)
from services.loyalty.entities.recommendations import customer_recommendations
from shared.identity import Principal, Role
from shared.list_route import add_list_route
from shared.problems import ProblemError, problem_responses
from shared.service import SessionDep, require_role

router = APIRouter(prefix="/api/loyalty/customers", tags=["loyalty-customers"])

add_list_route(
    router,
    resource=RESOURCE,
    public=CustomerSummaryPublic,
    filters=CustomerSummaryFilters,
    role=Role.VIEWER,
    owner=Role.CUSTOMER,
    operation_id="loyalty_list_customers",
    summary="Customers' RFM summaries: scores, segment, tier and rhythm",
    description=(
        "Rows of the customer summary mart filtered by customer, segment, tier or a lowest"
        " monetary value; sorted by customer id unless `sort` says otherwise (e.g."
        " `-monetary`). Viewers and above read every customer; a customer reads only its own"
        " row, so a `customer_id` filter naming anyone else gives an empty page."
    ),
)

CustomerPath = Annotated[
    str, Path(min_length=1, max_length=64, description="The customer id, e.g. C0000042.")
]


@router.get(
    "/{customer_id}",
    operation_id="loyalty_get_customer",
    summary="A customer's RFM summary, segment, tier and recommendations",
    response_model=CustomerLoyaltyPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_customer(
    session: SessionDep,
    caller: Annotated[Principal, Depends(require_role(Role.VIEWER, Role.CUSTOMER))],
    customer_id: CustomerPath,
) -> CustomerLoyaltyPublic:
    """The summary row and the recommendations by rank; a customer may read only itself."""
    # 403 before looking: a customer learns nothing about which other customers exist.
    if caller.role is Role.CUSTOMER and caller.sub != customer_id:
        raise ProblemError(403, "A customer may read only its own loyalty summary.")
    summary = (await session.execute(customer_summary(customer_id))).mappings().one_or_none()
    if summary is None:
        raise ProblemError(404, f"No loyalty summary for customer '{customer_id}'.")
    recommendations = (await session.execute(customer_recommendations(customer_id))).mappings()
    return CustomerLoyaltyPublic.model_validate(
        {**summary, "recommendations": [dict(row) for row in recommendations]}
    )
