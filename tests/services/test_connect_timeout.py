"""ECOM_DB_CONNECT_TIMEOUT_S: a database that accepts TCP but never answers is a 503 within the
timeout, not a request hanging for asyncpg's default minute."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.reminders.app import create_app
from services.reminders.settings import ReminderSettings
from shared.identity import Role
from tests.services.conftest import INTERNAL_SECRET, client_for, identity_headers


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOM_DB_CONNECT_TIMEOUT_S", "2.5")
    settings = ReminderSettings(_env_file=None, internal_secret=INTERNAL_SECRET)
    assert settings.db_connect_timeout_s == 2.5


async def test_an_unanswered_connect_is_a_503_within_the_timeout(
    silent_server: int, tmp_path: Path
) -> None:
    settings = ReminderSettings(
        _env_file=None,
        data_dir=tmp_path,
        database_url=f"postgresql://ecom_reminders:pw@127.0.0.1:{silent_server}/datamart",
        internal_secret=INTERNAL_SECRET,
        db_connect_timeout_s=0.5,
    )
    async for client in client_for(create_app(settings)):
        started = time.monotonic()
        response = await asyncio.wait_for(
            client.get("/api/reminders/configurations", headers=identity_headers(Role.VIEWER)),
            timeout=30,
        )
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert 0.4 < elapsed < 5
