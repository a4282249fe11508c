"""The loyalty marts, each defined once as a SQLModel table model (the DDL lives in the Alembic
history; tests/services/test_table_definitions.py holds the two equal).

The pipeline writes these tables; the service only reads them, through Core statements on the
tables below. Column meanings are in the migration's comments and docs/loyalty_scoring.md.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CHAR, Index, Numeric, SmallInteger, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from shared.tables import core_table, created_now, defaulted, schema_registry, timestamptz


class LoyaltyTable(SQLModel, registry=schema_registry("loyalty")):
    """Base of the loyalty schema's table models: they share one `MetaData`."""


class CustomerSummary(LoyaltyTable, table=True):
    """`loyalty.mart_customer_summary`: one row per customer (RFM scores, segment, tier)."""

    __tablename__ = "mart_customer_summary"
    __table_args__ = (Index("mart_customer_summary_segment", "segment"),)

    customer_id: str = Field(sa_type=Text, primary_key=True)
    first_order_at: datetime | None = timestamptz()
    last_order_at: datetime | None = timestamptz()
    frequency: int
    monetary: Decimal = Field(sa_type=Numeric(16, 2))
    average_order_value: Decimal | None = Field(sa_type=Numeric(16, 2))
    recency_days: int | None
    recency_score: int = Field(sa_type=SmallInteger)
    frequency_score: int = Field(sa_type=SmallInteger)
    monetary_score: int = Field(sa_type=SmallInteger)
    rfm_score: str = Field(sa_type=Text)
    segment: str = Field(sa_type=Text)
    lifetime_value: Decimal = Field(sa_type=Numeric(16, 2))
    tier: str = Field(sa_type=Text)
    favourite_category: str | None = Field(sa_type=Text)
    products_bought: list[str] = defaulted("'{}'", sa_type=ARRAY(Text))
    repurchase_interval_days: Decimal | None = Field(sa_type=Numeric(8, 1))
    expected_next_order_date: date | None
    currency: str = Field(sa_type=CHAR(3))
    as_of_date: date
    refreshed_at: datetime = created_now()


class LoyaltyRecommendation(LoyaltyTable, table=True):
    """`loyalty.mart_loyalty_recommendations`: a customer's ranked product recommendations."""

    __tablename__ = "mart_loyalty_recommendations"

    customer_id: str = Field(sa_type=Text, primary_key=True)
    product_id: str = Field(sa_type=Text, primary_key=True)
    rank: int = Field(sa_type=SmallInteger)
    segment: str = Field(sa_type=Text)
    product_name: str = Field(sa_type=Text)
    score: Decimal = Field(sa_type=Numeric(8, 4))
    basis: str = Field(sa_type=Text)
    anchor_product_id: str | None = Field(sa_type=Text)
    reason: str = Field(sa_type=Text)
    discount_tier: str = Field(sa_type=Text)
    discount_percent: int = Field(sa_type=SmallInteger)
    reminder_cadence_days: int = Field(sa_type=SmallInteger)
    channel: str = Field(sa_type=Text)
    next_best_action: str = Field(sa_type=Text)
    status: str = Field(sa_type=Text)
    as_of_date: date
    refreshed_at: datetime = created_now()


metadata = LoyaltyTable.metadata
mart_customer_summary = core_table(CustomerSummary)
mart_loyalty_recommendations = core_table(LoyaltyRecommendation)
