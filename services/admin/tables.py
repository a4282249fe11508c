"""The admin schema's tables, each defined once as a SQLModel table model (the DDL lives in the
Alembic history; tests/services/test_table_definitions.py holds the two equal).

Rows are read and written through Core statements on the tables below (`core_table`), not
through ORM instances: the generic repository works on whole rows with INSERT/UPDATE ...
RETURNING and never needs an identity map.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CHAR, BigInteger, Index, Numeric, SmallInteger, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from shared.audit import AuditLogColumns, audit_log_indexes
from shared.crud import ChangeLog
from shared.tables import (
    RowMetadata,
    core_table,
    created_now,
    defaulted,
    schema_registry,
    timestamptz,
)


class AdminTable(SQLModel, registry=schema_registry("admin")):
    """Base of the admin schema's table models: they share one `MetaData`."""


class Product(RowMetadata, AdminTable, table=True):
    """`admin.products`: silver's current products plus back-office edits."""

    __tablename__ = "products"
    __table_args__ = (Index("products_category", "category"),)

    product_id: str = Field(sa_type=Text, primary_key=True)
    sku: str | None = Field(sa_type=Text, unique=True)
    name: str = Field(sa_type=Text)
    category: str = Field(sa_type=Text)
    price: Decimal = Field(sa_type=Numeric(14, 2))
    cost: Decimal | None = Field(sa_type=Numeric(14, 2))
    currency: str = Field(sa_type=CHAR(3))
    sustainability_score: int | None = Field(sa_type=SmallInteger)
    active: bool = defaulted("true")


class Customer(RowMetadata, AdminTable, table=True):
    """`admin.customers`: silver's current customers plus back-office edits."""

    __tablename__ = "customers"
    # One customer per address, however it is capitalised.
    __table_args__ = (Index("customers_email", func.lower(text("email")), unique=True),)

    customer_id: str = Field(sa_type=Text, primary_key=True)
    first_name: str | None = Field(sa_type=Text)
    last_name: str | None = Field(sa_type=Text)
    email: str = Field(sa_type=Text)
    country: str = Field(sa_type=Text)
    region: str | None = Field(sa_type=Text)
    city: str | None = Field(sa_type=Text)
    timezone: str | None = Field(sa_type=Text)
    preferred_channel: str | None = Field(sa_type=Text)
    marketing_opt_in: bool = defaulted("false")


class Order(RowMetadata, AdminTable, table=True):
    """`admin.orders`: silver's current orders plus back-office edits."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("orders_customer", "customer_id"),
        Index("orders_order_date", "order_date"),
    )

    order_id: str = Field(sa_type=Text, primary_key=True)
    customer_id: str = Field(sa_type=Text)
    order_date: datetime = timestamptz()
    status: str = Field(sa_type=Text)
    channel: str = Field(sa_type=Text)
    region: str = Field(sa_type=Text)
    currency: str = Field(sa_type=CHAR(3))
    total_amount: Decimal = Field(sa_type=Numeric(14, 2))


class AuditEntry(AuditLogColumns, AdminTable, table=True):
    """`admin.audit_log`: who changed which back-office row, append-only."""

    __tablename__ = "audit_log"
    __table_args__ = audit_log_indexes()


class ChangeEvent(AdminTable, table=True):
    """`admin.change_outbox`: each back-office edit, on its way to bronze and silver."""

    __tablename__ = "change_outbox"

    id: int = Field(sa_type=BigInteger, primary_key=True)
    entity: str = Field(sa_type=Text)
    entity_id: str = Field(sa_type=Text)
    operation: str = Field(sa_type=Text)
    payload: dict[str, Any] = Field(sa_type=JSONB)
    updated_at: datetime = timestamptz()
    created_at: datetime = created_now()


class MartDailyRevenue(AdminTable, table=True):
    """`admin.mart_daily_revenue`: one day x channel x region, written by the pipeline."""

    __tablename__ = "mart_daily_revenue"

    order_date: date = Field(primary_key=True)
    channel: str = Field(sa_type=Text, primary_key=True)
    region: str = Field(sa_type=Text, primary_key=True)
    orders: int
    units: int = defaulted("0")
    gross_revenue: Decimal = defaulted("0", sa_type=Numeric(16, 2))
    discounts: Decimal = defaulted("0", sa_type=Numeric(16, 2))
    net_revenue: Decimal = Field(sa_type=Numeric(16, 2))
    average_order_value: Decimal | None = Field(sa_type=Numeric(16, 2))
    new_customers: int = defaulted("0")
    returning_customers: int = defaulted("0")
    cancelled_orders: int
    returned_orders: int = defaulted("0")
    currency: str = Field(sa_type=CHAR(3))
    refreshed_at: datetime = created_now()


metadata = AdminTable.metadata
products = core_table(Product)
customers = core_table(Customer)
orders = core_table(Order)
audit_log = core_table(AuditEntry)
change_outbox = core_table(ChangeEvent)
mart_daily_revenue = core_table(MartDailyRevenue)

# Every back-office write appends to both, in the writing transaction.
CHANGE_LOG = ChangeLog(audit=audit_log, outbox=change_outbox)
