"""The careful casts (silver.try_timestamptz, try_date, try_jsonb) are PARALLEL RESTRICTED.

They catch a failed cast in an exception block, which opens a subtransaction, and a parallel
worker cannot: declared PARALLEL SAFE, a plan that ran them in a worker failed with "cannot
start subtransactions during a parallel operation" (seen when a check read an unlogged table
instead of a temporary one). Restricted, they run in the leader.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FUNCTIONS = ("silver.try_timestamptz(text)", "silver.try_date(text)", "silver.try_jsonb(text)")


def upgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} PARALLEL RESTRICTED")


def downgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} PARALLEL SAFE")
