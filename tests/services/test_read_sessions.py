"""Request sessions on a real PostgreSQL: autocommit reads, the fair gate in front of the pool,
connections kept back for work outside the gate, and list pages in one statement."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import event, text
from starlette.requests import Request

from services.admin.app import create_app
from services.admin.settings import AdminSettings
from shared.database import asyncpg_dsn
from shared.identity import Role
from shared.owners import Owner
from shared.sessions import POOL_SIZE, open_engine, request_session
from tests.conftest import TestDatabase
from tests.services.conftest import client_for, identity_headers, settings_for_service

REVENUE = "/api/admin/kpis/daily-revenue"
REVENUE_ROWS = 30


def _request(app: FastAPI, method: str) -> Request:
    return Request({"type": "http", "method": method, "app": app, "headers": []})


@pytest.fixture
async def app(database: TestDatabase) -> AsyncIterator[FastAPI]:
    app = FastAPI()
    engine = open_engine(app, database.role_url(Owner.ADMIN))
    try:
        yield app
    finally:
        await engine.dispose()


async def _transaction_ids(app: FastAPI, method: str) -> set[int]:
    async with request_session(_request(app, method)) as session:
        first = await session.scalar(text("SELECT txid_current()"))
        second = await session.scalar(text("SELECT txid_current()"))
        await session.commit()
    return {first, second}


async def test_get_and_head_sessions_autocommit_each_statement(app: FastAPI) -> None:
    # No BEGIN/COMMIT round trips around a read: each statement is its own transaction.
    assert len(await _transaction_ids(app, "GET")) == 2
    assert len(await _transaction_ids(app, "HEAD")) == 2


async def test_write_sessions_run_in_one_transaction(app: FastAPI) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert len(await _transaction_ids(app, method)) == 1


async def test_request_sessions_queue_at_the_gate_and_leave_connections_for_other_work(
    app: FastAPI,
) -> None:
    release = asyncio.Event()
    all_holding = asyncio.Event()
    holding = 0

    async def hold_a_session() -> None:
        nonlocal holding
        async with request_session(_request(app, "GET")) as session:
            await session.execute(text("SELECT 1"))
            holding += 1
            if holding == POOL_SIZE:
                all_holding.set()
            await release.wait()

    holders = [asyncio.create_task(hold_a_session()) for _ in range(POOL_SIZE)]
    await asyncio.wait_for(all_holding.wait(), 10)
    late: dict[str, Any] = {}

    async def one_more() -> None:
        async with request_session(_request(app, "GET")) as session:
            late["value"] = await session.scalar(text("SELECT 42"))

    waiting = asyncio.create_task(one_more())
    await asyncio.sleep(0.2)
    assert not waiting.done()  # every permit is taken: the next request session queues
    assert app.state.session_gate.waiting == 1
    # An export or a readiness probe (engine.connect, outside the gate) still gets a connection.
    async with app.state.engine.connect() as connection:
        assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    release.set()
    await asyncio.wait_for(asyncio.gather(*holders, waiting), 10)
    assert late["value"] == 42
    assert app.state.session_gate.free == POOL_SIZE


@pytest.fixture
async def admin(
    database: TestDatabase, tmp_path: Path
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        await connection.execute(
            "INSERT INTO admin.mart_daily_revenue (order_date, channel, region, orders,"
            " cancelled_orders, net_revenue, average_order_value, currency)"
            " SELECT DATE '2026-11-30' - day, 'web', 'north', 10, 1, 100, 10, 'USD'"
            " FROM generate_series(0, $1 - 1) AS day",
            REVENUE_ROWS,
        )
    finally:
        await connection.close()
    app = create_app(settings_for_service(AdminSettings, database, tmp_path))
    async for client in client_for(app):
        yield app, client


async def test_a_list_page_and_its_total_come_from_one_statement(
    admin: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = admin
    statements: list[str] = []

    def log_queries(connection: Any, _record: Any) -> None:
        # List pages run on the pooled asyncpg connection itself (shared/fast_reads.py).
        connection.driver_connection.add_query_logger(lambda query: statements.append(query.query))

    event.listen(app.state.engine.sync_engine, "connect", log_queries)
    response = await client.get(
        REVENUE, params={"limit": 7, "offset": 7}, headers=identity_headers(Role.VIEWER)
    )
    await asyncio.sleep(0)  # asyncpg calls its query loggers soon after a query, not in it
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == REVENUE_ROWS
    assert len(page["data"]) == 7
    assert page["data"][0]["order_date"] == "2026-11-23"
    assert "__page_total" not in page["data"][0]
    assert len(statements) == 1
    assert "count(*) OVER ()" in statements[0]


@pytest.mark.parametrize(("offset", "expected"), [(0, 30), (29, 30), (30, 30), (500, 30)])
async def test_the_total_is_right_on_every_page_including_past_the_end(
    admin: tuple[FastAPI, AsyncClient], offset: int, expected: int
) -> None:
    _, client = admin
    response = await client.get(
        REVENUE, params={"limit": 50, "offset": offset}, headers=identity_headers(Role.VIEWER)
    )
    assert response.status_code == 200
    assert response.json()["count"] == expected
    assert len(response.json()["data"]) == max(0, min(50, REVENUE_ROWS - offset))


async def test_an_empty_filter_result_counts_zero(admin: tuple[FastAPI, AsyncClient]) -> None:
    _, client = admin
    response = await client.get(
        REVENUE, params={"channel": "nowhere"}, headers=identity_headers(Role.VIEWER)
    )
    assert response.status_code == 200
    assert response.json() == {"data": [], "count": 0, "limit": 50, "offset": 0}


async def test_more_concurrent_reads_than_connections_all_succeed(
    admin: tuple[FastAPI, AsyncClient],
) -> None:
    _, client = admin
    headers = identity_headers(Role.VIEWER)
    responses = await asyncio.gather(
        *(client.get(REVENUE, params={"limit": 5}, headers=headers) for _ in range(4 * POOL_SIZE))
    )
    assert [response.status_code for response in responses] == [200] * (4 * POOL_SIZE)
    assert {response.json()["count"] for response in responses} == {REVENUE_ROWS}
