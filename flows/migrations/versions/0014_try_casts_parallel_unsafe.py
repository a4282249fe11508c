"""The careful casts (silver.try_timestamptz, try_date, try_jsonb) are PARALLEL UNSAFE.

Migration 0013 made them PARALLEL RESTRICTED, to run in the leader of a parallel plan. But the
leader is in parallel mode as well, and their exception block opens a subtransaction, which no
process may open during a parallel operation: a check of a large file staged for parallel
workers (`flows/silver/staging.py`, `Stage`) failed with "cannot start subtransactions during a
parallel operation". (0013's test fetched one row at a time, and PostgreSQL runs no such query in
parallel.) Unsafe, they keep the statements that use them out of parallel plans altogether.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FUNCTIONS = ("silver.try_timestamptz(text)", "silver.try_date(text)", "silver.try_jsonb(text)")


def upgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} PARALLEL UNSAFE")


def downgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} PARALLEL RESTRICTED")
