"""Bundles: per segment, the add-ons the recommendation mart offers it most — the seed's
"bundled add-ons per segment" (docs/loyalty_scoring.md, "Bundles per segment").

For a segment S, a product's `customers` is the number of customers of S it is recommended to;
products rank by that count (descending), then by their average score (descending), then by
product_id, and the first `top` make the bundle. The bundle carries S's offer (its discount tier,
one per segment by the mart's rule).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Numeric, Select, func, select

from services.loyalty.entities.fields import Segment
from services.loyalty.entities.segments import SEGMENT_ORDER
from services.loyalty.tables import mart_loyalty_recommendations

DEFAULT_TOP = 5
MAX_TOP = 20

TopQuery = Annotated[
    int, Query(ge=1, le=MAX_TOP, description=f"Products per segment (at most {MAX_TOP}).")
]


class BundleFilters(BaseModel):
    """Which segment's bundle (all segments with recommendations when absent)."""

    segment: Segment | None = None


class BundleProductPublic(BaseModel):
    """One add-on of a segment's bundle."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "position": 1,
                "product_id": "P0007",
                "product_name": "Kenya AA beans",
                "customers": 42,
                "share": "0.3500",
                "average_score": "0.5120",
                "average_rank": "1.40",
                "co_purchase_customers": 38,
            }
        }
    )

    position: int = Field(description="1 = recommended to the most customers of the segment.")
    product_id: str
    product_name: str
    customers: int = Field(description="Customers of the segment it is recommended to.")
    share: Decimal = Field(
        description="customers / the segment's customers with any recommendation, 4 places."
    )
    average_score: Decimal = Field(description="Mean score of those recommendations, 4 places.")
    average_rank: Decimal = Field(description="Mean rank of those recommendations, 2 places.")
    co_purchase_customers: int = Field(
        description="How many of them came from co-purchase (the rest: popularity fallback)."
    )


class BundlePublic(BaseModel):
    """A segment's offer and its most recommended products."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "segment": "loyal",
                "discount_tier": "loyal_10",
                "discount_percent": 10,
                "customers": 120,
                "products": [
                    BundleProductPublic.model_config["json_schema_extra"]["example"]  # type: ignore[index]
                ],
            }
        }
    )

    segment: str
    discount_tier: str = Field(description="The segment's offer (the same for all its rows).")
    discount_percent: int
    customers: int = Field(description="Customers of the segment with any recommendation.")
    products: list[BundleProductPublic]


class BundlesPublic(BaseModel):
    """The bundle of every segment with recommendations, segments best first."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "as_of_date": "2026-11-26",
                "top": DEFAULT_TOP,
                "data": [BundlePublic.model_config["json_schema_extra"]["example"]],  # type: ignore[index]
            }
        }
    )

    as_of_date: date | None = Field(description="The mart's data date; null before a build.")
    top: int = Field(description="The most products listed per segment.")
    data: list[BundlePublic]


def bundle_segments(segment: str | None) -> Select[Any]:
    """Per segment with recommendations: its customers, offer and data date."""
    recommendations = mart_loyalty_recommendations.c
    statement = select(
        recommendations.segment,
        func.count(recommendations.customer_id.distinct()).label("customers"),
        func.min(recommendations.discount_tier).label("discount_tier"),
        func.min(recommendations.discount_percent).label("discount_percent"),
        func.max(recommendations.as_of_date).label("as_of_date"),
    ).group_by(recommendations.segment)
    if segment is not None:
        statement = statement.where(recommendations.segment == segment)
    return statement


def bundle_products(segment: str | None, top: int) -> Select[Any]:
    """Per segment, its `top` most recommended products in bundle order."""
    recommendations = mart_loyalty_recommendations.c
    customers = func.count()
    average_score = func.avg(recommendations.score)
    counted = select(
        recommendations.segment,
        recommendations.product_id,
        func.max(recommendations.product_name).label("product_name"),
        customers.label("customers"),
        func.round(average_score, 4).label("average_score"),
        func.round(func.avg(recommendations.rank).cast(Numeric), 2).label("average_rank"),
        func.count().filter(recommendations.basis == "co_purchase").label("co_purchase_customers"),
        func.row_number()
        .over(
            partition_by=recommendations.segment,
            order_by=(customers.desc(), average_score.desc(), recommendations.product_id),
        )
        .label("position"),
    ).group_by(recommendations.segment, recommendations.product_id)
    if segment is not None:
        counted = counted.where(recommendations.segment == segment)
    ranked = counted.subquery("ranked")
    return (
        select(ranked).where(ranked.c.position <= top).order_by(ranked.c.segment, ranked.c.position)
    )


def bundles_page(segments: list[Any], products: list[Any], top: int) -> BundlesPublic:
    """The bundles of the segments that have recommendations, segments in SEGMENT_ORDER."""
    by_segment: dict[str, list[BundleProductPublic]] = {}
    sizes = {row["segment"]: row["customers"] for row in segments}
    for row in products:
        share = round(Decimal(row["customers"]) / sizes[row["segment"]], 4)
        product = BundleProductPublic.model_validate({**row, "share": share})
        by_segment.setdefault(row["segment"], []).append(product)
    order = {segment: position for position, segment in enumerate(SEGMENT_ORDER)}
    bundles = [
        BundlePublic(
            segment=row["segment"],
            discount_tier=row["discount_tier"],
            discount_percent=row["discount_percent"],
            customers=row["customers"],
            products=by_segment.get(row["segment"], []),
        )
        for row in sorted(segments, key=lambda row: order.get(row["segment"], len(order)))
    ]
    return BundlesPublic(
        as_of_date=max((row["as_of_date"] for row in segments), default=None),
        top=top,
        data=bundles,
    )
