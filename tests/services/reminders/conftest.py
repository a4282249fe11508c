"""Fixtures of the reminders service tests: the app on a fresh database, and direct SQL access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient

from services.reminders.app import create_app
from services.reminders.settings import ReminderSettings
from shared.database import asyncpg_dsn
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.services.conftest import INTERNAL_SECRET, client_for


def reminder_settings(database: TestDatabase, tmp_path: Path, **overrides: Any) -> ReminderSettings:
    """Settings of a reminders service on this test's database, as the reminders role."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": database.role_url(Owner.REMINDERS),
        "internal_secret": INTERNAL_SECRET,
        **overrides,
    }
    return ReminderSettings(_env_file=None, **values)


@pytest.fixture
async def reminders_client(database: TestDatabase, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    """The reminders service on this test's database."""
    async for http in client_for(create_app(reminder_settings(database, tmp_path))):
        yield http


@pytest.fixture
async def db(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to this test's database, to arrange rows and check outcomes."""
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        yield connection
    finally:
        await connection.close()
