"""Fixtures of the transparency service tests: the app on a fresh database, and a writer that
fills the marts as the pipeline role does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from httpx import AsyncClient

from services.transparency.app import create_app
from services.transparency.settings import TransparencySettings
from tests.conftest import TestDatabase

# The golden-test fixtures, for tests that serve marts the pipeline itself built.
from tests.flows.gold.conftest import pipeline_dsn, silver  # noqa: F401
from tests.services.conftest import client_for, settings_for_service
from tests.services.mart_rows import MartWriter, mart_writer
from tests.services.transparency.marts import DEFAULTS


def transparency_settings(database: TestDatabase, tmp_path: Path) -> TransparencySettings:
    """Settings of a transparency service on this test's database, as the transparency role."""
    return settings_for_service(TransparencySettings, database, tmp_path)


@pytest.fixture
async def transparency_client(database: TestDatabase, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    """The transparency service on this test's database."""
    async for http in client_for(create_app(transparency_settings(database, tmp_path))):
        yield http


@pytest.fixture
async def marts(database: TestDatabase) -> AsyncIterator[MartWriter]:
    """Writes mart rows as the pipeline role, the only writer of these tables."""
    async for writer in mart_writer(database, "transparency", DEFAULTS):
        yield writer
