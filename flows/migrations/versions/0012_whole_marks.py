"""Whole marks: a file that changes a large share of a table marks each mart and back-office
entity it feeds as a whole instead of key by key.

`ops.dirty_marts`: marts whose next build is a full one. `ops.dirty_back_office_entities`:
back-office entities (products, customers, orders) whose next copy takes every key. A file of a
million new orders would otherwise write a million back-office marks and a third of a million
customer marks (4 of the 20 s its load took), all consumed by builds that read nearly every key
anyway (`flows.silver.marks` says when a file marks whole).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE ops.dirty_marts (
            mart       text PRIMARY KEY,
            marked_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE ops.dirty_marts IS 'Marts whose input changed too widely to mark key by"
        " key since they were last built: their next build is a full one, which clears the mark'"
    )
    op.execute(
        """
        CREATE TABLE ops.dirty_back_office_entities (
            entity     text PRIMARY KEY CHECK (entity IN ('products', 'customers', 'orders')),
            marked_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "COMMENT ON TABLE ops.dirty_back_office_entities IS 'Silver tables changed too widely"
        " to mark key by key since the back office last copied them: its next copy takes every"
        " key of the entity and clears the mark'"
    )


def downgrade() -> None:
    op.execute("DROP TABLE ops.dirty_back_office_entities, ops.dirty_marts")
