"""Fixtures for golden mart tests: a silver writer and the pipeline role's DSN."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.database import asyncpg_dsn
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.gold.silver_rows import SilverWriter


@pytest.fixture
async def silver(database: TestDatabase) -> AsyncIterator[SilverWriter]:
    """Writes hand-checked rows into silver (as the superuser, like a finished load would)."""
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        yield SilverWriter(connection)
    finally:
        await connection.close()


@pytest.fixture
def pipeline_dsn(database: TestDatabase) -> str:
    """Where marts are built from: the pipeline role, so its grants are exercised."""
    return asyncpg_dsn(database.role_url(Owner.FLOWS))
