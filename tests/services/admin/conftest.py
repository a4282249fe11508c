"""Fixtures of the admin service tests: the app on a fresh database, and direct SQL access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient

from services.admin.app import create_app
from services.admin.settings import AdminSettings
from shared.database import asyncpg_dsn
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.services.conftest import INTERNAL_SECRET, client_for

EXPORT_ROW_CAP = 150_000


def admin_settings(database: TestDatabase, tmp_path: Path, **overrides: Any) -> AdminSettings:
    """Settings of an admin service on this test's database, connecting as the admin role."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": database.role_url(Owner.ADMIN),
        "internal_secret": INTERNAL_SECRET,
        "export_max_rows": EXPORT_ROW_CAP,
        **overrides,
    }
    return AdminSettings(_env_file=None, **values)


@pytest.fixture
async def admin_client(database: TestDatabase, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    """The admin service on this test's database."""
    async for http in client_for(create_app(admin_settings(database, tmp_path))):
        yield http


@pytest.fixture
async def db(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to this test's database, to arrange rows and check outcomes."""
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        yield connection
    finally:
        await connection.close()
