"""Fixtures for service tests: an app on the test database and callers with signed identities."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from shared.database import asyncpg_dsn
from shared.identity import ASSERTION_HEADER, Principal, Role, sign_assertion
from shared.service import ServiceSettings
from tests.conftest import TestDatabase

INTERNAL_SECRET = "internal-secret-for-service-tests-000"


def identity_headers(role: Role, sub: str = "tester") -> dict[str, str]:
    """Headers the gateway would add for a verified caller."""
    assertion = sign_assertion(Principal(sub=sub, role=role), INTERNAL_SECRET)
    return {ASSERTION_HEADER: assertion}


async def client_for(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """An httpx client talking to `app` in-process, with its lifespan running."""
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://service") as client,
    ):
        yield client


HeadersFor = Callable[[Role], dict[str, str]]


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def settings_for_service(
    settings_class: type[SettingsT], database: TestDatabase, data_dir: Path, **overrides: Any
) -> SettingsT:
    """A service's settings on this test's database, connecting as the service's own role."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database.role_url(settings_class.owner),
        "internal_secret": INTERNAL_SECRET,
        **overrides,
    }
    return settings_class(_env_file=None, **values)


@pytest.fixture
async def db(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to this test's database, to arrange rows and check outcomes."""
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        yield connection
    finally:
        await connection.close()
