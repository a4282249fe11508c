"""The back-office tables as SQLAlchemy Core sees them (DDL lives in the Alembic history).

Core tables rather than ORM classes: the generic repository reads and writes whole rows with
INSERT/UPDATE ... RETURNING and never needs an identity map.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.audit import audit_table
from shared.crud import ChangeLog

metadata = MetaData(schema="admin")


def _row_meta() -> list[Column[object]]:
    return [
        Column("version", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    ]


products = Table(
    "products",
    metadata,
    Column("product_id", Text, primary_key=True),
    Column("sku", Text, unique=True),
    Column("name", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("price", Numeric(14, 2), nullable=False),
    Column("cost", Numeric(14, 2)),
    Column("currency", Text, nullable=False),
    Column("sustainability_score", SmallInteger),
    Column("active", Boolean, nullable=False),
    *_row_meta(),
)

customers = Table(
    "customers",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("email", Text, nullable=False),
    Column("country", Text, nullable=False),
    Column("region", Text),
    Column("city", Text),
    Column("timezone", Text),
    Column("preferred_channel", Text),
    Column("marketing_opt_in", Boolean, nullable=False),
    *_row_meta(),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("order_date", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("region", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("total_amount", Numeric(14, 2), nullable=False),
    *_row_meta(),
)

audit_log = audit_table(metadata)

change_outbox = Table(
    "change_outbox",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("entity", Text, nullable=False),
    Column("entity_id", Text, nullable=False),
    Column("operation", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Every back-office write appends to both, in the writing transaction.
CHANGE_LOG = ChangeLog(audit=audit_log, outbox=change_outbox)
