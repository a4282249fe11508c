"""Baseline of the loyalty schema: its history starts here; marts come with gold.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to create yet; the version table itself marks the schema as managed."""


def downgrade() -> None:
    """Nothing to drop."""
