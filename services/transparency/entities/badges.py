"""Badges: the criteria (the one place the service states them) and each subject's current badge.

The criteria match the final CASE of flows/gold/sql/mart_trust_scores.sql and the badge table of
docs/trust_metrics.md; tests/services/transparency/test_badges.py fails when they disagree.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, Subquery, func, select
from sqlalchemy.dialects.postgresql import distinct_on

from services.transparency.entities.fields import Badge, SubjectType
from services.transparency.tables import mart_trust_scores
from shared.pagination import Page, order_by_clause


class BadgeCriterion(BaseModel):
    """The trust scores that earn one badge: from `min_score` (inclusive) to `below_score`."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "example": {
                "badge": "reliable",
                "min_score": 75,
                "below_score": 90,
                "description": "Trust score at least 75 and below 90.",
            }
        },
    )

    badge: Badge
    min_score: int | None = Field(description="Lowest trust score with this badge (inclusive).")
    below_score: int | None = Field(
        description="The badge ends below this score (exclusive); null: up to 100."
    )
    description: str


BADGE_CRITERIA: tuple[BadgeCriterion, ...] = (
    BadgeCriterion(
        badge="trusted", min_score=90, below_score=None, description="Trust score at least 90."
    ),
    BadgeCriterion(
        badge="reliable",
        min_score=75,
        below_score=90,
        description="Trust score at least 75 and below 90.",
    ),
    BadgeCriterion(
        badge="watch",
        min_score=60,
        below_score=75,
        description="Trust score at least 60 and below 75.",
    ),
    BadgeCriterion(
        badge="at_risk", min_score=0, below_score=60, description="Trust score below 60."
    ),
    BadgeCriterion(
        badge="unrated",
        min_score=None,
        below_score=None,
        description="No trust score: nothing to score yet (only shipments not yet due).",
    ),
)


class SubjectBadgePublic(BaseModel):
    """A subject's current badge: the one of its latest rated day (see `current_badges`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "subject_type": "distributor",
                "subject_id": "D001",
                "badge": "reliable",
                "trust_score": "82.40",
                "score_date": "2026-11-26",
                "latest_score_date": "2026-11-29",
            }
        }
    )

    subject_type: str
    subject_id: str
    badge: str
    trust_score: Decimal | None
    score_date: date = Field(description="The day the badge is from.")
    latest_score_date: date = Field(
        description="The subject's newest day in the trust scores (rated or not)."
    )


class SubjectBadgesPage(Page[SubjectBadgePublic]):
    """A page of current badges, with the criteria that award them."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "criteria": [BADGE_CRITERIA[1].model_dump()],
                "data": [SubjectBadgePublic.model_config["json_schema_extra"]["example"]],  # type: ignore[index]
                "count": 1,
                "limit": 50,
                "offset": 0,
            }
        }
    )

    criteria: list[BadgeCriterion]


BADGE_SORT_KEYS = ("subject_type", "subject_id", "badge", "trust_score", "score_date")
DEFAULT_BADGE_SORT = "subject_type,subject_id"


class BadgeFilters(BaseModel):
    """Filters of the current badges: the badge filter applies to the current badge."""

    subject_type: SubjectType | None = None
    badge: Badge | None = None


def current_badges(subject_type: str | None) -> Subquery:
    """Per subject, its latest rated day's badge; `unrated` (latest day) if never rated.

    Rated days first because the newest days of an active subject are promised dates still
    ahead of the data date: only pending shipments, hence `unrated`, for nearly every subject.
    """
    scores = mart_trust_scores.c
    subject = (scores.subject_type, scores.subject_id)
    latest = select(
        scores.subject_type,
        scores.subject_id,
        scores.badge,
        scores.trust_score,
        scores.score_date,
        func.max(scores.score_date).over(partition_by=subject).label("latest_score_date"),
    )
    if subject_type is not None:
        latest = latest.where(scores.subject_type == subject_type)
    unrated_last = scores.badge == "unrated"
    return (
        latest.ext(distinct_on(*subject))
        .order_by(*subject, unrated_last, scores.score_date.desc())
        .subquery("current_badges")
    )


def badges_statement(filters: BadgeFilters, sort: str) -> Select[Any]:
    """The current badges matching `filters`, sorted by `sort` (then by subject)."""
    current = current_badges(filters.subject_type)
    statement = select(current)
    if filters.badge is not None:
        statement = statement.where(current.c.badge == filters.badge)
    sortable = {name: current.c[name] for name in BADGE_SORT_KEYS}
    order = order_by_clause(sort, sortable)
    return statement.order_by(*order, current.c.subject_type, current.c.subject_id)
