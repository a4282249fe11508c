"""The admin audit log is append-only: its owner, the admin role, cannot change or remove an
entry (UPDATE, DELETE and TRUNCATE are refused), while writes keep appending to it."""

from __future__ import annotations

import asyncpg
import pytest
from httpx import AsyncClient

from shared.database import asyncpg_dsn
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.services.admin.back_office import PRODUCTS, create


async def test_the_admin_audit_log_refuses_update_delete_and_truncate(
    admin_client: AsyncClient, database: TestDatabase, db: asyncpg.Connection
) -> None:
    await create(admin_client, PRODUCTS, "P-AUDIT-1")
    before = await db.fetch("SELECT id, actor_sub, action FROM admin.audit_log ORDER BY id")
    assert [row["action"] for row in before] == ["create"]
    owner = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.ADMIN)))
    try:
        for statement in (
            "UPDATE admin.audit_log SET actor_sub = 'someone-else'",
            "DELETE FROM admin.audit_log",
            "TRUNCATE admin.audit_log",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await owner.execute(statement)
    finally:
        await owner.close()
    await create(admin_client, PRODUCTS, "P-AUDIT-2")  # appending still works
    after = await db.fetch("SELECT id, actor_sub, action FROM admin.audit_log ORDER BY id")
    assert after[: len(before)] == before
    assert len(after) == len(before) + 1
