"""Database outages are told apart from bugs: real driver errors, and a service without its DB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.admin.app import create_app as create_admin
from services.admin.settings import AdminSettings
from shared.database import asyncpg_dsn, create_engine, with_login
from shared.identity import Role
from shared.outages import is_outage
from tests.conftest import TestDatabase
from tests.servers import bound_socket
from tests.services.conftest import client_for, identity_headers, settings_for_service


@pytest.fixture
def refused_database_url() -> Iterator[str]:
    """A PostgreSQL URL whose port is bound but not listening: every connect is refused."""
    sock = bound_socket()
    port = sock.getsockname()[1]
    yield f"postgresql://ecom_admin:pw@127.0.0.1:{port}/ecom"
    sock.close()


async def test_a_refused_connection_through_asyncpg_is_an_outage(refused_database_url: str) -> None:
    with pytest.raises(ConnectionRefusedError) as raised:
        await asyncpg.connect(asyncpg_dsn(refused_database_url), timeout=5)
    assert is_outage(raised.value)


async def test_a_refused_connection_through_sqlalchemy_is_an_outage(
    refused_database_url: str,
) -> None:
    engine = create_engine(refused_database_url)
    try:
        with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever the driver raises
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert is_outage(raised.value)


async def test_a_connection_killed_by_the_server_is_an_outage(database: TestDatabase) -> None:
    engine = create_engine(database.url, pool_size=1)
    try:
        async with engine.connect() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await database.fetch("SELECT pg_terminate_backend($1)", pid)
            with pytest.raises(DBAPIError) as raised:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert is_outage(raised.value)


async def test_query_errors_are_not_outages(database: TestDatabase) -> None:
    engine = create_engine(database.url)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as cancelled:
                await connection.execute(text("SET statement_timeout = 10; SELECT pg_sleep(1)"))
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as bad_sql:
                await connection.execute(text("SELECT * FROM no_such_table"))
    finally:
        await engine.dispose()
    assert not is_outage(cancelled.value)
    assert not is_outage(bad_sql.value)


def test_socket_errors_outside_the_driver_are_not_outages() -> None:
    assert not is_outage(ConnectionRefusedError(111, "refused by an S3 endpoint"))
    assert not is_outage(ValueError("not a number"))
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = KeyError("x")
    assert not is_outage(wrapped)


async def test_a_service_without_its_database_answers_503_with_retry_after(
    database: TestDatabase, tmp_path: Path, refused_database_url: str
) -> None:
    port = refused_database_url.rsplit(":", 1)[1].split("/")[0]
    url = with_login(f"postgresql://127.0.0.1:{port}/ecom", "ecom_admin", "pw")
    app = create_admin(settings_for_service(AdminSettings, database, tmp_path, database_url=url))
    async for client in client_for(app):
        read = await client.get("/api/admin/products", headers=identity_headers(Role.ADMIN))
        ready = await client.get("/readyz")

        for response in (read, ready):
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "5"
            assert response.headers["content-type"] == "application/problem+json"
            assert port not in response.text
        assert read.json()["detail"] == "The database is unavailable; try again shortly."
