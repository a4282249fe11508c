"""The transparency marts, each defined once as a SQLModel table model (the DDL lives in the
Alembic history; tests/services/test_table_definitions.py holds the two equal).

The pipeline writes these tables; the service only reads them, through Core statements on the
tables below. Column meanings are in the migration's comments and docs/trust_metrics.md.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, Numeric, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from shared.tables import core_table, created_now, schema_registry


class TransparencyTable(SQLModel, registry=schema_registry("transparency")):
    """Base of the transparency schema's table models: they share one `MetaData`."""


class TrustScore(TransparencyTable, table=True):
    """`transparency.mart_trust_scores`: one subject's delivery and support record on one day."""

    __tablename__ = "mart_trust_scores"
    # The primary key serves the per-day rebuilds; the service also reads one subject's history.
    __table_args__ = (
        Index("mart_trust_scores_subject", "subject_type", "subject_id", "score_date"),
    )

    score_date: date = Field(primary_key=True)
    subject_type: str = Field(sa_type=Text, primary_key=True)
    subject_id: str = Field(sa_type=Text, primary_key=True)
    shipments_due: int
    delivered_on_time: int
    shipments_late: int
    shipments_pending: int
    on_time_rate: Decimal | None = Field(sa_type=Numeric(5, 4))
    late_days_total: int
    average_delay_days: Decimal | None = Field(sa_type=Numeric(6, 2))
    support_cases: int
    avg_first_response_minutes: Decimal | None = Field(sa_type=Numeric(10, 1))
    avg_resolution_minutes: Decimal | None = Field(sa_type=Numeric(10, 1))
    avg_sentiment: Decimal | None = Field(sa_type=Numeric(6, 3))
    trust_score: Decimal | None = Field(sa_type=Numeric(5, 2))
    badge: str = Field(sa_type=Text)
    breach_flags: list[str] = Field(sa_type=ARRAY(Text))
    breach_reasons: str | None = Field(sa_type=Text)
    goodwill_action: str = Field(sa_type=Text)
    refreshed_at: datetime = created_now()


class LogisticsSla(TransparencyTable, table=True):
    """`transparency.mart_logistics_sla`: each distributor's and stockist's last 30 days."""

    __tablename__ = "mart_logistics_sla"

    subject_type: str = Field(sa_type=Text, primary_key=True)
    subject_id: str = Field(sa_type=Text, primary_key=True)
    name: str | None = Field(sa_type=Text)
    distributor_id: str | None = Field(sa_type=Text)
    stockist_id: str | None = Field(sa_type=Text)
    region: str | None = Field(sa_type=Text)
    country: str | None = Field(sa_type=Text)
    stockists: int | None
    regions_served: list[str] = Field(sa_type=ARRAY(Text))
    cities_served: list[str] = Field(sa_type=ARRAY(Text))
    orders_routed_30d: int
    sla_days: int | None
    shipments_30d: int
    breaches_30d: int
    late_days_30d: int
    penalty_per_late_day: Decimal | None = Field(sa_type=Numeric(14, 2))
    penalty_cap: Decimal | None = Field(sa_type=Numeric(14, 2))
    currency: str | None = Field(sa_type=Text)
    penalty_amount: Decimal = Field(sa_type=Numeric(14, 2))
    fx_rate: Decimal | None = Field(sa_type=Numeric(18, 6))
    penalty_amount_base: Decimal | None = Field(sa_type=Numeric(14, 2))
    base_currency: str = Field(sa_type=Text)
    on_hand_units: int | None
    avg_daily_units_sold: Decimal | None = Field(sa_type=Numeric(12, 2))
    days_on_hand: Decimal | None = Field(sa_type=Numeric(10, 1))
    last_snapshot_date: date | None
    snapshot_age_days: int | None
    stock_alerts: int
    stock_alert_products: list[str] = Field(sa_type=ARRAY(Text))
    as_of_date: date | None
    refreshed_at: datetime = created_now()


class TrustMetric(TransparencyTable, table=True):
    """`transparency.trust_metrics`: the headline trust metrics and their targets."""

    __tablename__ = "trust_metrics"

    metric: str = Field(sa_type=Text, primary_key=True)
    value: Decimal | None = Field(sa_type=Numeric(18, 4))
    unit: str = Field(sa_type=Text)
    time_window: str = Field(sa_type=Text)
    target: Decimal | None = Field(sa_type=Numeric(18, 4))
    target_direction: str | None = Field(sa_type=Text)
    meets_target: bool | None
    description: str = Field(sa_type=Text)
    as_of_date: date | None
    refreshed_at: datetime = created_now()


metadata = TransparencyTable.metadata
mart_trust_scores = core_table(TrustScore)
mart_logistics_sla = core_table(LogisticsSla)
trust_metrics = core_table(TrustMetric)
