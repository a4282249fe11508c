"""Silver's content checksums of a test database, to compare states before and after."""

from __future__ import annotations

import asyncpg

from flows.silver.checksums import silver_checksums
from shared.database import asyncpg_dsn
from tests.conftest import TestDatabase


async def checksums(database: TestDatabase) -> dict[str, str]:
    """md5 of each silver table's content (volatile bookkeeping left out), by table name."""
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        return await silver_checksums(connection)
    finally:
        await connection.close()
