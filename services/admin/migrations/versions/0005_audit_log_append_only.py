"""The admin audit log is append-only, as the reminders one: a trigger refuses UPDATE, DELETE
and TRUNCATE, so an entry, once written, stays as it was (even for the admin role that owns it).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from alembic import op

from shared.audit import append_only_sql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in append_only_sql("admin"):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_no_truncate ON admin.audit_log")
    op.execute("DROP TRIGGER audit_log_no_change ON admin.audit_log")
    op.execute("DROP FUNCTION admin.audit_log_append_only()")
