"""A write's answer leaves only after its transaction committed.

FastAPI ends a `yield` dependency after the response is sent unless it is scoped to the
function; a session committed there answers 201 for a row the client's next request may not see
yet (and would answer 201 even if the commit then failed). Here the commit is made slow on
purpose (a deferred constraint trigger sleeps at COMMIT), and the row must be in the database the
moment the answer arrives, over a real socket.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from services.reminders.app import create_app as create_reminders_app
from services.reminders.settings import ReminderSettings
from shared.identity import Role
from tests.conftest import TestDatabase
from tests.servers import ThreadedServers
from tests.services.conftest import identity_headers, settings_for_service
from tests.services.reminders.callers import CSR, csr_body

SLOW_COMMIT_S = 1.0


@pytest.fixture
def reminders_url(database: TestDatabase, tmp_path: Path) -> Iterator[str]:
    servers = ThreadedServers()
    app = create_reminders_app(settings_for_service(ReminderSettings, database, tmp_path))
    try:
        yield servers.start(app)
    finally:
        servers.stop_all()


async def test_a_created_record_is_committed_before_its_answer_arrives(
    db: asyncpg.Connection, reminders_url: str
) -> None:
    await db.execute(
        f"""
        CREATE FUNCTION reminders.slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep({SLOW_COMMIT_S}); RETURN NULL; END $$;
        CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT OR UPDATE ON reminders.csr_metadata
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION reminders.slow_commit();
        """
    )
    async with httpx.AsyncClient(base_url=reminders_url, timeout=30) as client:
        answer = await client.put(
            f"{CSR}/CSR-DURABLE", json=csr_body(), headers=identity_headers(Role.CSR)
        )
    assert answer.status_code in {200, 201}, answer.text
    stored = await db.fetchval(
        "SELECT count(*) FROM reminders.csr_metadata WHERE csr_id = 'CSR-DURABLE'"
    )
    assert stored == 1, "the answer arrived before the write was committed"
