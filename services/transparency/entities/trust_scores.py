"""`transparency.mart_trust_scores`: per day and subject, deliveries, support and a trust score."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, func

from services.transparency.entities.fields import Badge, SubjectId, SubjectType
from services.transparency.tables import mart_trust_scores
from shared.crud import Resource
from shared.fields import IsoDate


def has_breaches(breached: bool) -> ColumnElement[bool]:
    """Rows with at least one breach flag (`breached=true`), or with none (`false`)."""
    flags = func.cardinality(mart_trust_scores.c.breach_flags)
    condition: ColumnElement[bool] = flags > 0 if breached else flags == 0
    return condition


RESOURCE = Resource(
    table=mart_trust_scores,
    entity="trust score",
    key="subject_id",
    sort_keys=(
        "score_date",
        "subject_type",
        "subject_id",
        "trust_score",
        "on_time_rate",
        "average_delay_days",
        "shipments_due",
        "support_cases",
    ),
    default_sort="-score_date,subject_type,subject_id",
    derived_filters={"breached": has_breaches},
)


class TrustScorePublic(BaseModel):
    """One day of one subject: its deliveries, support cases, trust score, badge and breaches."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "score_date": "2026-11-20",
                "subject_type": "carrier",
                "subject_id": "UPS",
                "shipments_due": 5,
                "delivered_on_time": 2,
                "shipments_late": 3,
                "shipments_pending": 1,
                "on_time_rate": "0.4000",
                "late_days_total": 5,
                "average_delay_days": "1.67",
                "support_cases": 2,
                "avg_first_response_minutes": "60.0",
                "avg_resolution_minutes": "450.0",
                "avg_sentiment": "-0.300",
                "trust_score": "56.83",
                "badge": "at_risk",
                "breach_flags": ["on_time_below_target", "negative_sentiment"],
                "breach_reasons": (
                    "on-time rate 40% below target 90% (3 of 5 due shipments late);"
                    " average sentiment -0.300 below 0 (negative)"
                ),
                "goodwill_action": "voucher",
                "refreshed_at": "2026-11-27T06:00:00Z",
            }
        }
    )

    score_date: date = Field(description="The shipments' promised date, the cases' opened day.")
    subject_type: str
    subject_id: str
    shipments_due: int
    delivered_on_time: int
    shipments_late: int
    shipments_pending: int
    on_time_rate: Decimal | None = Field(description="0..1; null without due shipments.")
    late_days_total: int
    average_delay_days: Decimal | None
    support_cases: int
    avg_first_response_minutes: Decimal | None
    avg_resolution_minutes: Decimal | None
    avg_sentiment: Decimal | None = Field(description="-1 (negative) to 1 (positive).")
    trust_score: Decimal | None = Field(description="0..100; null with nothing to score.")
    badge: str
    breach_flags: list[str] = Field(description="Targets missed; empty when none.")
    breach_reasons: str | None
    goodwill_action: str
    refreshed_at: datetime


class TrustScoreFilters(BaseModel):
    """Filters of the trust score list; `from` and `to` bound `score_date`, both included."""

    subject_type: SubjectType | None = None
    subject_id: SubjectId | None = None
    badge: Badge | None = None
    score_date_from: IsoDate | None = Field(
        default=None, alias="from", description="First score_date (inclusive)."
    )
    score_date_max: IsoDate | None = Field(
        default=None, alias="to", description="Last score_date (inclusive)."
    )
    breached: bool | None = Field(
        default=None, description="true: rows with a breach flag; false: rows without."
    )
