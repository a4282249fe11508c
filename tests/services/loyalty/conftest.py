"""Fixtures of the loyalty service tests: the app on a fresh database, and a writer that fills
the marts as the pipeline role does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from httpx import AsyncClient

from services.loyalty.app import create_app
from services.loyalty.settings import LoyaltySettings
from tests.conftest import TestDatabase

# The golden-test fixtures, for tests that serve marts the pipeline itself built.
from tests.flows.gold.conftest import pipeline_dsn, silver  # noqa: F401
from tests.services.conftest import client_for, settings_for_service
from tests.services.loyalty.marts import DEFAULTS, write_shop
from tests.services.mart_rows import MartWriter, mart_writer


def loyalty_settings(database: TestDatabase, tmp_path: Path) -> LoyaltySettings:
    """Settings of a loyalty service on this test's database, as the loyalty role."""
    return settings_for_service(LoyaltySettings, database, tmp_path)


@pytest.fixture
async def loyalty_client(database: TestDatabase, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    """The loyalty service on this test's database."""
    async for http in client_for(create_app(loyalty_settings(database, tmp_path))):
        yield http


@pytest.fixture
async def marts(database: TestDatabase) -> AsyncIterator[MartWriter]:
    """Writes mart rows as the pipeline role, the only writer of these tables."""
    async for writer in mart_writer(database, "loyalty", DEFAULTS):
        yield writer


@pytest.fixture
async def shop(marts: MartWriter) -> None:
    """The five customers and six recommendations of `write_shop`."""
    await write_shop(marts)
