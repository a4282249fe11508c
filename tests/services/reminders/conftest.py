"""Fixtures of the reminders service tests: the app on a fresh database, and direct SQL access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from services.reminders.app import create_app
from services.reminders.settings import ReminderSettings
from tests.conftest import TestDatabase
from tests.services.conftest import client_for, settings_for_service


def reminder_settings(database: TestDatabase, tmp_path: Path, **overrides: Any) -> ReminderSettings:
    """Settings of a reminders service on this test's database, as the reminders role."""
    return settings_for_service(ReminderSettings, database, tmp_path, **overrides)


@pytest.fixture
async def reminders_client(database: TestDatabase, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    """The reminders service on this test's database."""
    async for http in client_for(create_app(reminder_settings(database, tmp_path))):
        yield http
