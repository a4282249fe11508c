"""Fixtures of the admin service tests: the app on a fresh database, and direct SQL access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from services.admin.app import create_app
from services.admin.settings import AdminSettings
from tests.conftest import TestDatabase
from tests.services.conftest import client_for, settings_for_service

EXPORT_ROW_CAP = 150_000


def admin_settings(database: TestDatabase, tmp_path: Path, **overrides: Any) -> AdminSettings:
    """Settings of an admin service on this test's database, connecting as the admin role."""
    return settings_for_service(
        AdminSettings, database, tmp_path, **{"export_max_rows": EXPORT_ROW_CAP, **overrides}
    )


@pytest.fixture
async def admin_client(database: TestDatabase, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    """The admin service on this test's database."""
    async for http in client_for(create_app(admin_settings(database, tmp_path))):
        yield http
