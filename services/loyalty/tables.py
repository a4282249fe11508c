"""The loyalty marts as SQLAlchemy Core sees them (DDL lives in the Alembic history).

The pipeline writes these tables; the service only reads them. Column meanings are in the
migration's comments and docs/loyalty_scoring.md.
"""

from __future__ import annotations

from sqlalchemy import (
    CHAR,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY

metadata = MetaData(schema="loyalty")

mart_customer_summary = Table(
    "mart_customer_summary",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("first_order_at", DateTime(timezone=True)),
    Column("last_order_at", DateTime(timezone=True)),
    Column("frequency", Integer, nullable=False),
    Column("monetary", Numeric(16, 2), nullable=False),
    Column("average_order_value", Numeric(16, 2)),
    Column("recency_days", Integer),
    Column("recency_score", SmallInteger, nullable=False),
    Column("frequency_score", SmallInteger, nullable=False),
    Column("monetary_score", SmallInteger, nullable=False),
    Column("rfm_score", Text, nullable=False),
    Column("segment", Text, nullable=False),
    Column("lifetime_value", Numeric(16, 2), nullable=False),
    Column("tier", Text, nullable=False),
    Column("favourite_category", Text),
    Column("products_bought", ARRAY(Text), nullable=False),
    Column("repurchase_interval_days", Numeric(8, 1)),
    Column("expected_next_order_date", Date),
    Column("currency", CHAR(3), nullable=False),
    Column("as_of_date", Date, nullable=False),
    Column("refreshed_at", DateTime(timezone=True), nullable=False),
)

mart_loyalty_recommendations = Table(
    "mart_loyalty_recommendations",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("product_id", Text, primary_key=True),
    Column("rank", SmallInteger, nullable=False),
    Column("segment", Text, nullable=False),
    Column("product_name", Text, nullable=False),
    Column("score", Numeric(8, 4), nullable=False),
    Column("basis", Text, nullable=False),
    Column("anchor_product_id", Text),
    Column("reason", Text, nullable=False),
    Column("discount_tier", Text, nullable=False),
    Column("discount_percent", SmallInteger, nullable=False),
    Column("reminder_cadence_days", SmallInteger, nullable=False),
    Column("channel", Text, nullable=False),
    Column("next_best_action", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("as_of_date", Date, nullable=False),
    Column("refreshed_at", DateTime(timezone=True), nullable=False),
)
