"""The recommendation anchor's comment says which bought products can be anchors: only those
with a catalogue row in silver (flows/gold/sql/mart_loyalty_recommendations.sql,
docs/loyalty_scoring.md, "Products missing from the catalogue").

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COMMENT = (
    "The bought product whose co-purchases give the score (co_purchase rows; NULL for"
    " segment_popularity). Only products with a row in silver.products count: one whose every"
    " catalogue row was rejected is no anchor, no candidate and in no pair count until a valid"
    " row arrives"
)
# What 0002 said, restored by a downgrade.
PREVIOUS = "The bought product whose co-purchases give the score (co_purchase)"


def _comment(text: str) -> None:
    quoted = "'" + text.replace("'", "''") + "'"
    op.execute(
        f"COMMENT ON COLUMN loyalty.mart_loyalty_recommendations.anchor_product_id IS {quoted}"
    )


def upgrade() -> None:
    _comment(COMMENT)


def downgrade() -> None:
    _comment(PREVIOUS)
