"""List pages on the pooled asyncpg connection (shared/fast_reads.py), on a real PostgreSQL: the
same pages as the session path they replace, one compiled SQL text per shape with the values as
parameters, and connections always back in the pool (discarded when their state is unknown)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from pydantic import BaseModel
from sqlalchemy import event, select, text
from starlette.requests import Request

from benchmarks.read_cases import CASES_BY_NAME
from deploy.seed import seed_reminders
from services.reminders.app import create_app as create_reminders
from services.reminders.entities.preferences import RESOURCE as PREFERENCES
from services.reminders.entities.preferences import PreferencePublic
from services.reminders.settings import ReminderSettings
from services.transparency.app import create_app as create_transparency
from services.transparency.entities.trust_scores import RESOURCE as TRUST_SCORES
from services.transparency.entities.trust_scores import TrustScorePublic
from services.transparency.settings import TransparencySettings
from shared.crud import Repository, Resource
from shared.fast_reads import PageReads, read_connection
from shared.identity import Role
from shared.owners import Owner
from shared.pagination import Page, PageParams
from shared.sessions import POOL_SIZE
from tests.conftest import TestDatabase
from tests.services.conftest import client_for, identity_headers, settings_for_service

CONFIGURATIONS = "/api/reminders/configurations"
TRUST_SCORES_PATH = "/api/transparency/trust/scores"


@pytest.fixture
async def reminders(
    database: TestDatabase, tmp_path: Path
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    await seed_reminders(database.role_url(Owner.REMINDERS))
    app = create_reminders(settings_for_service(ReminderSettings, database, tmp_path))
    async for client in client_for(app):
        yield app, client


@pytest.fixture
async def transparency(
    database: TestDatabase, tmp_path: Path
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    await CASES_BY_NAME["transparency-trust-scores"].seed(
        {Owner.FLOWS: database.role_url(Owner.FLOWS)}
    )
    app = create_transparency(settings_for_service(TransparencySettings, database, tmp_path))
    async for client in client_for(app):
        yield app, client


async def _session_page(
    app: FastAPI,
    resource: Resource,
    public: type[BaseModel],
    query: tuple[dict[str, Any], str | None, str],
    page: PageParams,
    owner: str | None = None,
) -> dict[str, Any]:
    """The page as the ORM session path (Repository.list) reads it, serialised as the API does."""
    filters, search, sort = query
    async with app.state.read_sessionmaker() as session:
        rows, total = await Repository(session, resource, owner=owner).list(
            filters, search, sort, page
        )
    document = {"data": rows, "count": total, "limit": page.limit, "offset": page.offset}
    dumped: dict[str, Any] = Page[public].model_validate(document).model_dump(mode="json")  # type: ignore[valid-type]
    return dumped


@pytest.mark.parametrize(
    ("params", "query", "page"),
    [
        ({}, ({}, None, "created_at"), PageParams(limit=50, offset=0)),
        (
            {"channel": "sms", "enabled": "true", "limit": 7, "offset": 3},
            ({"channel": "sms", "enabled": True}, None, "created_at"),
            PageParams(limit=7, offset=3),
        ),
        (
            {"channel": "email", "sort": "-cadence_days,customer_id"},
            ({"channel": "email"}, None, "-cadence_days,customer_id"),
            PageParams(limit=50, offset=0),
        ),
        (
            {"scope": "segment", "offset": 100000},
            ({"scope": "segment"}, None, "created_at"),
            PageParams(limit=50, offset=100000),
        ),
        (
            {"customer_id": "nobody"},
            ({"customer_id": "nobody"}, None, "created_at"),
            PageParams(limit=50, offset=0),
        ),
    ],
)
async def test_configuration_pages_match_the_session_path(
    reminders: tuple[FastAPI, AsyncClient],
    params: dict[str, Any],
    query: tuple[dict[str, Any], str | None, str],
    page: PageParams,
) -> None:
    app, client = reminders
    response = await client.get(CONFIGURATIONS, params=params, headers=identity_headers(Role.CSR))
    assert response.status_code == 200
    expected = await _session_page(app, PREFERENCES, PreferencePublic, query, page)
    if page.offset < 1000:
        assert expected["count"] > 0 or params.get("customer_id") == "nobody"
    else:
        assert expected["count"] > 0  # past the end: no rows, but still counted
        assert expected["data"] == []
    assert response.json() == expected


async def test_a_customer_sees_only_their_own_configurations(
    reminders: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = reminders
    owner = (
        await _session_page(
            app,
            PREFERENCES,
            PreferencePublic,
            ({}, None, "created_at"),
            PageParams(limit=1, offset=0),
        )
    )["data"][0]["customer_id"]
    response = await client.get(CONFIGURATIONS, headers=identity_headers(Role.CUSTOMER, owner))
    expected = await _session_page(
        app,
        PREFERENCES,
        PreferencePublic,
        ({}, None, "created_at"),
        PageParams(limit=50, offset=0),
        owner=owner,
    )
    assert response.status_code == 200
    assert response.json() == expected
    assert expected["count"] >= 1
    assert {row["customer_id"] for row in response.json()["data"]} == {owner}


@pytest.mark.parametrize("breached", [True, False])
async def test_a_derived_filter_value_is_part_of_the_shape(
    transparency: tuple[FastAPI, AsyncClient], breached: bool
) -> None:
    app, client = transparency
    async with app.state.engine.begin() as connection:  # some rows with a breach flag
        await connection.execute(
            text(
                "UPDATE transparency.mart_trust_scores SET breach_flags = ARRAY['late']"
                " WHERE subject_id LIKE '%-1'"
            )
        )
    headers = identity_headers(Role.VIEWER)
    for value in (not breached, breached):  # the other value first: its shape must not be reused
        response = await client.get(
            TRUST_SCORES_PATH, params={"breached": str(value).lower(), "q": "-1"}, headers=headers
        )
    assert response.status_code == 200
    expected = await _session_page(
        app,
        TRUST_SCORES,
        TrustScorePublic,
        ({"breached": breached}, "-1", TRUST_SCORES.default_sort),
        PageParams(limit=50, offset=0),
    )
    assert response.json() == expected
    assert expected["count"] > 0
    assert all(bool(row["breach_flags"]) is breached for row in response.json()["data"])


async def test_a_shape_is_one_sql_text_and_its_values_are_parameters(
    reminders: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = reminders
    queries: list[tuple[str, tuple[Any, ...]]] = []

    def log_queries(connection: Any, _record: Any) -> None:
        connection.driver_connection.add_query_logger(
            lambda logged: queries.append((logged.query, tuple(logged.args)))
        )

    event.listen(app.state.engine.sync_engine, "connect", log_queries)
    headers = identity_headers(Role.VIEWER)
    for channel, limit in (("sms", 3), ("email", 4), ("push", 5)):
        response = await client.get(
            CONFIGURATIONS, params={"channel": channel, "limit": limit}, headers=headers
        )
        assert response.status_code == 200
        assert len(response.json()["data"]) == min(limit, response.json()["count"])
    await asyncio.sleep(0)  # asyncpg calls its query loggers soon after a query, not in it
    assert len(queries) == 3
    assert len({sql for sql, _ in queries}) == 1
    assert "sms" not in queries[0][0]
    assert [args for _, args in queries] == [("sms", 3, 0), ("email", 4, 0), ("push", 5, 0)]


async def test_read_connections_return_to_the_pool_and_the_gate(
    reminders: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = reminders
    headers = identity_headers(Role.VIEWER)
    responses = await asyncio.gather(
        *(client.get(CONFIGURATIONS, params={"limit": 5}, headers=headers) for _ in range(30))
    )
    assert {response.status_code for response in responses} == {200}
    assert app.state.engine.pool.checkedout() == 0
    assert app.state.session_gate.free == POOL_SIZE


def _request(app: FastAPI) -> Request:
    return Request({"type": "http", "method": "GET", "app": app, "headers": []})


async def test_a_statement_error_keeps_the_connection(
    reminders: tuple[FastAPI, AsyncClient],
) -> None:
    app, _ = reminders
    used: list[asyncpg.Connection] = []

    async def divide_by_zero() -> None:
        async with read_connection(_request(app)) as connection:
            used.append(connection)
            await connection.fetchval("SELECT 1 / 0")

    with pytest.raises(asyncpg.exceptions.DivisionByZeroError):
        await divide_by_zero()
    assert not used[0].is_closed()
    assert app.state.engine.pool.checkedout() == 0
    async with read_connection(_request(app)) as connection:
        assert await connection.fetchval("SELECT 2") == 2
    assert app.state.session_gate.free == POOL_SIZE


async def test_a_read_cancelled_mid_query_discards_its_connection(
    reminders: tuple[FastAPI, AsyncClient],
) -> None:
    app, _ = reminders
    started = asyncio.Event()
    used: list[asyncpg.Connection] = []

    async def slow_read() -> None:
        async with read_connection(_request(app)) as connection:
            used.append(connection)
            started.set()
            await connection.fetchval("SELECT pg_sleep(30)")

    task = asyncio.create_task(slow_read())
    await asyncio.wait_for(started.wait(), 10)
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert used[0].is_closed()  # its protocol state is unknown: never handed out again
    assert app.state.engine.pool.checkedout() == 0
    assert app.state.session_gate.free == POOL_SIZE
    async with read_connection(_request(app)) as connection:
        assert await connection.fetchval("SELECT 3") == 3


def test_page_reads_keep_a_bounded_number_of_shapes() -> None:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]
    reads = PageReads(max_shapes=2)
    table = PREFERENCES.table
    for number in range(3):
        reads.shape(number, lambda: select(table), frozenset(), dialect)
    assert len(reads) == 2
    reads.shape(1, lambda: select(table), frozenset(), dialect)  # still kept: no rebuild needed
    with pytest.raises(ValueError, match="binds"):
        reads.shape(2, lambda: select(table), frozenset({"filter_channel"}), dialect)
