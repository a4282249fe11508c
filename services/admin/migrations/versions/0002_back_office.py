"""Back-office tables (products, customers, orders), the audit log and the change outbox.

The pipeline role refreshes the back-office tables from silver and lands the outbox in bronze,
so it gets exactly those rights: read and upsert the three tables, read and trim the outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from alembic import op

from shared.owners import PIPELINE_ROLE

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Columns every back-office row carries: the ETag version and the change times.
_ROW_META = """
    version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
"""


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE admin.products (
            product_id            text PRIMARY KEY,
            sku                   text NOT NULL UNIQUE,
            name                  text NOT NULL,
            category              text NOT NULL,
            price                 numeric(12, 2) NOT NULL CHECK (price >= 0),
            cost                  numeric(12, 2) CHECK (cost >= 0),
            currency              char(3) NOT NULL CHECK (currency ~ '^[A-Z]{{3}}$'),
            sustainability_score  smallint CHECK (sustainability_score BETWEEN 0 AND 100),
            active                boolean NOT NULL DEFAULT true,
            {_ROW_META}
        )
        """
    )
    op.execute("CREATE INDEX products_category ON admin.products (category)")
    op.execute(
        f"""
        CREATE TABLE admin.customers (
            customer_id        text PRIMARY KEY,
            first_name         text NOT NULL,
            last_name          text NOT NULL,
            email              text NOT NULL,
            country            text NOT NULL,
            region             text,
            city               text,
            timezone           text,
            preferred_channel  text,
            marketing_opt_in   boolean NOT NULL DEFAULT false,
            {_ROW_META}
        )
        """
    )
    # One customer per address, however it is capitalised.
    op.execute("CREATE UNIQUE INDEX customers_email ON admin.customers (lower(email))")
    op.execute(
        f"""
        CREATE TABLE admin.orders (
            order_id      text PRIMARY KEY,
            customer_id   text NOT NULL,
            order_date    timestamptz NOT NULL,
            status        text NOT NULL,
            channel       text NOT NULL,
            region        text NOT NULL,
            currency      char(3) NOT NULL CHECK (currency ~ '^[A-Z]{{3}}$'),
            total_amount  numeric(14, 2) NOT NULL CHECK (total_amount >= 0),
            {_ROW_META}
        )
        """
    )
    op.execute("CREATE INDEX orders_customer ON admin.orders (customer_id)")
    op.execute("CREATE INDEX orders_order_date ON admin.orders (order_date)")
    op.execute(
        """
        CREATE TABLE admin.audit_log (
            id          bigserial PRIMARY KEY,
            actor_sub   text NOT NULL,
            actor_role  text NOT NULL,
            action      text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
            entity      text NOT NULL,
            entity_id   text NOT NULL,
            before      jsonb,
            after       jsonb,
            at          timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX audit_log_entity ON admin.audit_log (entity, entity_id)")
    op.execute("CREATE INDEX audit_log_actor ON admin.audit_log (actor_sub)")
    op.execute("CREATE INDEX audit_log_at ON admin.audit_log (at)")
    op.execute(
        """
        CREATE TABLE admin.change_outbox (
            id          bigserial PRIMARY KEY,
            entity      text NOT NULL,
            entity_id   text NOT NULL,
            operation   text NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
            payload     jsonb NOT NULL,
            updated_at  timestamptz NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    for table in ("products", "customers", "orders"):
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON admin.{table} TO {PIPELINE_ROLE}")
    op.execute(f"GRANT SELECT, DELETE ON admin.change_outbox TO {PIPELINE_ROLE}")


def downgrade() -> None:
    for table in ("change_outbox", "audit_log", "orders", "customers", "products"):
        op.execute(f"DROP TABLE admin.{table}")
