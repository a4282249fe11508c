"""Segments: the rules that define them (the one place the service states them) and, per
segment, its customers and their average monetary value, frequency and recency.

The rules match the segment CASE of flows/gold/sql/mart_customer_summary.sql and the segment
table of docs/loyalty_scoring.md; tests/services/loyalty/test_segments.py fails when they
disagree.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Numeric, Select, func, select

from services.loyalty.entities.fields import Segment
from services.loyalty.tables import mart_customer_summary


class SegmentRule(BaseModel):
    """One rule of the segmentation: the first rule (by precedence) a customer matches wins.

    R, F and M are the customer's recency, frequency and monetary scores (1..5).
    """

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "example": {
                "precedence": 2,
                "segment": "champions",
                "rule": "R ≥ 4, F ≥ 4, M ≥ 4",
                "meaning": "recent, frequent, big spenders",
            }
        },
    )

    precedence: int = Field(description="1 is tried first.")
    segment: Segment
    rule: str
    meaning: str


SEGMENT_RULES: tuple[SegmentRule, ...] = (
    SegmentRule(precedence=1, segment="lost", rule="no kept order",
                meaning="every order cancelled or returned"),
    SegmentRule(precedence=2, segment="champions", rule="R ≥ 4, F ≥ 4, M ≥ 4",
                meaning="recent, frequent, big spenders"),
    SegmentRule(precedence=3, segment="loyal", rule="R ≥ 3, F ≥ 3",
                meaning="regulars who ordered within two months"),
    SegmentRule(precedence=4, segment="new", rule="R ≥ 4, F = 1",
                meaning="first (and only) order within 30 days"),
    SegmentRule(precedence=5, segment="potential_loyalist", rule="R ≥ 3",
                meaning="recent, one or two orders"),
    SegmentRule(precedence=6, segment="cannot_lose", rule="F ≥ 4",
                meaning="frequent buyers gone quiet for over 60 days"),
    SegmentRule(precedence=7, segment="at_risk", rule="F ≥ 2",
                meaning="repeat buyers gone quiet for over 60 days"),
    SegmentRule(precedence=8, segment="hibernating", rule="R = 2",
                meaning="one order, 61–120 days ago"),  # noqa: RUF001 - the docs' dash
    SegmentRule(precedence=9, segment="lost", rule="otherwise",
                meaning="one order, more than 120 days ago"),
)  # fmt: skip

# Segments are listed best first, as the data contract names them.
SEGMENT_ORDER: tuple[str, ...] = get_args(Segment)


class SegmentPublic(BaseModel):
    """One segment: its rules and its customers' averages (every segment, even when empty)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "segment": "champions",
                "customers": 120,
                "share": "0.0800",
                "average_monetary": "1530.25",
                "average_frequency": "7.40",
                "average_recency_days": "8.3",
                "rules": [SEGMENT_RULES[1].model_dump()],
            }
        }
    )

    segment: str
    customers: int = Field(description="Customers of the summary mart in the segment.")
    share: Decimal | None = Field(
        description="customers / all customers of the summary, 4 places; null when it is empty."
    )
    average_monetary: Decimal | None = Field(
        description="Mean monetary value (kept orders' totals, base currency); null when empty."
    )
    average_frequency: Decimal | None = Field(description="Mean kept orders; null when empty.")
    average_recency_days: Decimal | None = Field(
        description="Mean recency_days of the customers with a kept order; null when none."
    )
    rules: list[SegmentRule] = Field(description="The rules that put a customer here.")


class SegmentsPublic(BaseModel):
    """Every segment in the order of SEGMENT_ORDER, with the data date and currency."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "as_of_date": "2026-11-26",
                "currency": "USD",
                "customers": 1500,
                "data": [SegmentPublic.model_config["json_schema_extra"]["example"]],  # type: ignore[index]
            }
        }
    )

    as_of_date: date | None = Field(description="The summary's data date; null before a build.")
    currency: str | None = Field(description="The base currency of the monetary averages.")
    customers: int = Field(description="Customers in the summary mart.")
    data: list[SegmentPublic]


def segment_statistics() -> Select[Any]:
    """Per segment present in the summary: customers, share and the rounded averages."""
    summary = mart_customer_summary.c
    customers = func.count()
    return select(
        summary.segment,
        customers.label("customers"),
        func.round(customers.cast(Numeric) / func.sum(customers).over(), 4).label("share"),
        func.round(func.avg(summary.monetary), 2).label("average_monetary"),
        func.round(func.avg(summary.frequency), 2).label("average_frequency"),
        func.round(func.avg(summary.recency_days), 1).label("average_recency_days"),
        func.max(summary.as_of_date).label("as_of_date"),
        func.max(summary.currency).label("currency"),
    ).group_by(summary.segment)


def segments_page(rows: list[Any]) -> SegmentsPublic:
    """Every segment with its rules, filled with the statistics of the segments that have rows."""
    by_segment = {row["segment"]: row for row in rows}
    total = sum(row["customers"] for row in rows)
    no_share = Decimal("0.0000") if total else None
    data = []
    for segment in SEGMENT_ORDER:
        row = by_segment.get(segment)
        data.append(
            SegmentPublic(
                segment=segment,
                customers=row["customers"] if row else 0,
                share=row["share"] if row else no_share,
                average_monetary=row["average_monetary"] if row else None,
                average_frequency=row["average_frequency"] if row else None,
                average_recency_days=row["average_recency_days"] if row else None,
                rules=[rule for rule in SEGMENT_RULES if rule.segment == segment],
            )
        )
    # One full build writes one data date; an incremental build of some customers may be newer.
    dates = [row["as_of_date"] for row in rows]
    return SegmentsPublic(
        as_of_date=max(dates, default=None),
        currency=max((row["currency"] for row in rows), default=None),
        customers=total,
        data=data,
    )
