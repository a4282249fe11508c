"""The audit trail every service keeps of its writes: who (subject and role) did what (create,
update, delete) to which record, with the record before and after, and when.

A service declares its audit table (a table model on `AuditLogColumns`, indexed by
`audit_log_indexes`), hands it to the CRUD kit in a
`shared.crud.ChangeLog`, and the kit appends one entry per write in the writing transaction, so a
change and its entry commit or roll back together. Entries are read through a list route
(`AuditEntryPublic`, filters of the service's own entities). `APPEND_ONLY_SQL` is the trigger a
service's migration installs so that entries, once written, are never changed or removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic_core import to_jsonable_python
from sqlalchemy import BigInteger, Index, RowMapping, Table, Text, insert
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from shared.identity import Principal
from shared.openapi_components import publish_enum
from shared.tables import created_now

AuditAction = Literal["create", "update", "delete"]
publish_enum("AuditAction", AuditAction)


class AuditLogColumns(SQLModel):
    """The columns of one service schema's audit table, as its migration creates them."""

    id: int = Field(sa_type=BigInteger, primary_key=True)
    actor_sub: str = Field(sa_type=Text)
    actor_role: str = Field(sa_type=Text)
    action: str = Field(sa_type=Text)
    entity: str = Field(sa_type=Text)
    entity_id: str = Field(sa_type=Text)
    before: dict[str, Any] | None = Field(sa_type=JSONB(none_as_null=True))
    after: dict[str, Any] | None = Field(sa_type=JSONB(none_as_null=True))
    at: datetime = created_now()


def audit_log_indexes() -> tuple[Index, ...]:
    """The audit table's indexes (new objects each call: an index belongs to one table)."""
    return (
        Index("audit_log_entity", "entity", "entity_id"),
        Index("audit_log_actor", "actor_sub"),
        Index("audit_log_at", "at"),
    )


def as_json(row: Mapping[str, Any] | RowMapping | None) -> Any:
    """A row as the JSON an audit entry keeps (None stays None)."""
    return to_jsonable_python(dict(row)) if row is not None else None


async def record_audit_entry(
    session: AsyncSession,
    table: Table,
    *,
    actor: Principal,
    action: str,
    entity: str,
    entity_id: str,
    before: Mapping[str, Any] | RowMapping | None,
    after: Mapping[str, Any] | RowMapping | None,
) -> None:
    """Append one entry in the session's transaction (it commits with the change it records)."""
    await session.execute(
        insert(table).values(
            actor_sub=actor.sub,
            actor_role=actor.role.value,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=as_json(before),
            after=as_json(after),
        )
    )


def append_only_sql(schema: str, table: str = "audit_log") -> list[str]:
    """DDL making `schema.table` append-only: UPDATE, DELETE and TRUNCATE raise an error.

    The service role owns the table and could drop the trigger; the trigger guards against
    mistakes in code and hand-run SQL, not against the owner.
    """
    function = f"{schema}.{table}_append_only"
    return [
        f"""
        CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """,
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {schema}.{table}"
        f" FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {schema}.{table}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


class AuditEntryPublic(BaseModel):
    """One write as the audit log recorded it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 7,
                "actor_sub": "alice",
                "actor_role": "editor",
                "action": "update",
                "entity": "product",
                "entity_id": "P-1001",
                "before": {"price": "24.90", "version": 1},
                "after": {"price": "19.90", "version": 2},
                "at": "2026-11-26T21:00:00Z",
            }
        }
    )

    id: int
    actor_sub: str
    actor_role: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime
