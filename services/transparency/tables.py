"""The transparency marts as SQLAlchemy Core sees them (DDL lives in the Alembic history).

The pipeline writes these tables; the service only reads them. Column meanings are in the
migration's comments and docs/trust_metrics.md.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, Numeric, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY

metadata = MetaData(schema="transparency")

mart_trust_scores = Table(
    "mart_trust_scores",
    metadata,
    Column("score_date", Date, primary_key=True),
    Column("subject_type", Text, primary_key=True),
    Column("subject_id", Text, primary_key=True),
    Column("shipments_due", Integer, nullable=False),
    Column("delivered_on_time", Integer, nullable=False),
    Column("shipments_late", Integer, nullable=False),
    Column("shipments_pending", Integer, nullable=False),
    Column("on_time_rate", Numeric(5, 4)),
    Column("late_days_total", Integer, nullable=False),
    Column("average_delay_days", Numeric(6, 2)),
    Column("support_cases", Integer, nullable=False),
    Column("avg_first_response_minutes", Numeric(10, 1)),
    Column("avg_resolution_minutes", Numeric(10, 1)),
    Column("avg_sentiment", Numeric(6, 3)),
    Column("trust_score", Numeric(5, 2)),
    Column("badge", Text, nullable=False),
    Column("breach_flags", ARRAY(Text), nullable=False),
    Column("breach_reasons", Text),
    Column("goodwill_action", Text, nullable=False),
    Column("refreshed_at", DateTime(timezone=True), nullable=False),
)

mart_logistics_sla = Table(
    "mart_logistics_sla",
    metadata,
    Column("subject_type", Text, primary_key=True),
    Column("subject_id", Text, primary_key=True),
    Column("name", Text),
    Column("distributor_id", Text),
    Column("stockist_id", Text),
    Column("region", Text),
    Column("country", Text),
    Column("stockists", Integer),
    Column("regions_served", ARRAY(Text), nullable=False),
    Column("cities_served", ARRAY(Text), nullable=False),
    Column("orders_routed_30d", Integer, nullable=False),
    Column("sla_days", Integer),
    Column("shipments_30d", Integer, nullable=False),
    Column("breaches_30d", Integer, nullable=False),
    Column("late_days_30d", Integer, nullable=False),
    Column("penalty_per_late_day", Numeric(14, 2)),
    Column("penalty_cap", Numeric(14, 2)),
    Column("currency", Text),
    Column("penalty_amount", Numeric(14, 2), nullable=False),
    Column("fx_rate", Numeric(18, 6)),
    Column("penalty_amount_base", Numeric(14, 2)),
    Column("base_currency", Text, nullable=False),
    Column("on_hand_units", Integer),
    Column("avg_daily_units_sold", Numeric(12, 2)),
    Column("days_on_hand", Numeric(10, 1)),
    Column("last_snapshot_date", Date),
    Column("snapshot_age_days", Integer),
    Column("stock_alerts", Integer, nullable=False),
    Column("stock_alert_products", ARRAY(Text), nullable=False),
    Column("as_of_date", Date),
    Column("refreshed_at", DateTime(timezone=True), nullable=False),
)

trust_metrics = Table(
    "trust_metrics",
    metadata,
    Column("metric", Text, primary_key=True),
    Column("value", Numeric(18, 4)),
    Column("unit", Text, nullable=False),
    Column("time_window", Text, nullable=False),
    Column("target", Numeric(18, 4)),
    Column("target_direction", Text),
    Column("meets_target", Boolean),
    Column("description", Text, nullable=False),
    Column("as_of_date", Date),
    Column("refreshed_at", DateTime(timezone=True), nullable=False),
)
