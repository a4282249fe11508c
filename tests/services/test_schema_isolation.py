"""Each service's role uses its own schema only: it owns every table there, and can neither read
a table of any other schema nor create anything outside its own."""

from __future__ import annotations

import asyncpg
import pytest

from shared.database import asyncpg_dsn
from shared.owners import OWNERSHIP, Owner
from tests.conftest import TestDatabase

SERVICES = (Owner.ADMIN, Owner.LOYALTY, Owner.TRANSPARENCY, Owner.REMINDERS)
ALL_SCHEMAS = tuple(schema for ownership in OWNERSHIP.values() for schema in ownership.schemas)


async def _tables(database: TestDatabase, schemas: list[str]) -> list[str]:
    rows = await database.fetch(
        "SELECT schemaname || '.' || tablename AS name FROM pg_tables"
        " WHERE schemaname = ANY($1::text[]) ORDER BY 1",
        schemas,
    )
    return [row["name"] for row in rows]


@pytest.mark.parametrize("owner", SERVICES)
async def test_a_service_role_reads_no_table_of_another_schema(
    database: TestDatabase, owner: Owner
) -> None:
    own = OWNERSHIP[owner].schemas
    foreign = await _tables(database, [s for s in ALL_SCHEMAS if s not in own])
    assert len(foreign) > 20, "every other owner's tables are checked"
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(owner)))
    try:
        readable = []
        for table in foreign:
            try:
                await connection.fetch(f"SELECT 1 FROM {table} LIMIT 1")
                readable.append(table)
            except asyncpg.InsufficientPrivilegeError:
                pass
    finally:
        await connection.close()
    assert readable == []


@pytest.mark.parametrize("owner", SERVICES)
async def test_a_service_role_creates_nothing_outside_its_schema(
    database: TestDatabase, owner: Owner
) -> None:
    own = OWNERSHIP[owner].schemas
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(owner)))
    try:
        for schema in [*(s for s in ALL_SCHEMAS if s not in own), "public"]:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(f"CREATE TABLE {schema}.intruder (id int)")
    finally:
        await connection.close()


@pytest.mark.parametrize("owner", SERVICES)
async def test_a_service_role_owns_every_table_of_its_schema(
    database: TestDatabase, owner: Owner
) -> None:
    ownership = OWNERSHIP[owner]
    owners = await database.rows(
        "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = ANY($1::text[])",
        list(ownership.schemas),
    )
    assert owners == [(ownership.role,)]
