"""The reminders audit log: every change to reminder configurations and CSR metadata.

Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE, so an entry, once written, stays as
it was. Analytics events are not copied here: their own log is append-only and each row names
who reported it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from alembic import op

from shared.audit import append_only_sql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE reminders.audit_log (
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
    op.execute("CREATE INDEX audit_log_entity ON reminders.audit_log (entity, entity_id)")
    op.execute("CREATE INDEX audit_log_actor ON reminders.audit_log (actor_sub)")
    op.execute("CREATE INDEX audit_log_at ON reminders.audit_log (at)")
    for statement in append_only_sql("reminders"):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE reminders.audit_log")
    op.execute("DROP FUNCTION reminders.audit_log_append_only()")
