"""The pipeline may TRUNCATE loyalty.mart_loyalty_recommendations: a full build empties the mart
that way instead of deleting its million rows (flows/gold/build.py, `Mart.truncate_on_full`;
docs/loyalty_scoring.md, "Performance"). Readers wait for the new rows during the publish
instead of reading the old ones.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from alembic import op

from shared.owners import PIPELINE_ROLE

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"GRANT TRUNCATE ON loyalty.mart_loyalty_recommendations TO {PIPELINE_ROLE}")


def downgrade() -> None:
    op.execute(f"REVOKE TRUNCATE ON loyalty.mart_loyalty_recommendations FROM {PIPELINE_ROLE}")
