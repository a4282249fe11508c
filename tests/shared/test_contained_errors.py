"""Unhandled errors under a real uvicorn: a problem+json 500 that closes the connection.

uvicorn drops a keep-alive connection after an app raised, even when a 500 was already sent;
without `Connection: close` on that 500 a pooling client (the gateway) reused the connection
and the next request on it, possibly another caller's write, failed with 502.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import BackgroundTasks, FastAPI
from fastapi.responses import StreamingResponse

from gateway.app import create_app as create_gateway
from services.admin.app import create_app as create_admin
from services.admin.settings import AdminSettings
from shared.contained_errors import ContainedErrorsMiddleware
from shared.identity import Role
from shared.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from tests.conftest import TestDatabase
from tests.e2e.conftest import INTERNAL_SECRET, JWT_SECRET, bearer
from tests.gateway.test_proxy import gateway_settings
from tests.servers import ThreadedServers

SECRET_DETAIL = "internal detail: password=hunter2"


def _fail() -> None:
    raise RuntimeError(SECRET_DETAIL)


def _add_failing_routes(app: FastAPI, prefix: str = "") -> None:
    @app.get(f"{prefix}/boom")
    async def boom() -> dict[str, str]:
        _fail()
        return {}

    @app.post(f"{prefix}/boom")
    async def boom_write() -> dict[str, str]:
        _fail()
        return {}

    @app.post(f"{prefix}/fine")
    async def fine() -> dict[str, str]:
        return {"status": "fine"}

    @app.get(f"{prefix}/half-stream")
    async def half_stream() -> StreamingResponse:
        async def chunks() -> Any:
            yield b"first part;"
            _fail()

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get(f"{prefix}/after-response")
    async def after_response(tasks: BackgroundTasks) -> dict[str, str]:
        tasks.add_task(_fail)
        return {"status": "answered"}


@pytest.fixture(scope="module")
def plain_url() -> Iterator[str]:
    app = FastAPI()
    install_problem_handlers(app)
    _add_failing_routes(app)
    app.add_middleware(ContainedErrorsMiddleware)
    servers = ThreadedServers()
    try:
        yield servers.start(app)
    finally:
        servers.stop_all()


def _connection(url: str) -> http.client.HTTPConnection:
    host, port = url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=5)


def test_an_unhandled_error_is_a_problem_that_closes_the_connection(plain_url: str) -> None:
    connection = _connection(plain_url)
    connection.request("GET", "/boom", headers={"x-request-id": "req-42"})
    response = connection.getresponse()
    body = response.read()

    assert response.status == 500
    assert response.getheader("connection") == "close"
    assert response.getheader("content-type") == PROBLEM_MEDIA_TYPE
    problem = json.loads(body)
    assert problem["status"] == 500
    assert problem["request_id"] == "req-42"
    assert "hunter2" not in body.decode()
    assert "Traceback" not in body.decode()
    assert response.will_close


def test_a_response_broken_mid_stream_is_aborted_not_completed(plain_url: str) -> None:
    connection = _connection(plain_url)
    connection.request("GET", "/half-stream")
    response = connection.getresponse()

    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead):
        response.read()


def test_an_error_after_a_complete_response_keeps_the_connection(plain_url: str) -> None:
    connection = _connection(plain_url)
    connection.request("GET", "/after-response")
    first = connection.getresponse()
    assert json.loads(first.read()) == {"status": "answered"}
    assert not first.will_close

    connection.request("POST", "/fine")
    second = connection.getresponse()
    assert second.status == 200
    assert json.loads(second.read()) == {"status": "fine"}


@pytest.fixture
def gateway_before_failing_service(database: TestDatabase, tmp_path: Path) -> Iterator[str]:
    """A real admin service (with two failing routes added) behind the gateway."""
    admin = create_admin(
        AdminSettings(
            _env_file=None,
            data_dir=tmp_path,
            internal_secret=INTERNAL_SECRET,
            database_url=database.role_url(AdminSettings.owner),
        )
    )
    _add_failing_routes(admin, "/api/admin")
    servers = ThreadedServers()
    try:
        service_url = servers.start(admin)
        settings = gateway_settings(
            tmp_path,
            jwt_secret=JWT_SECRET,
            internal_secret=INTERNAL_SECRET,
            admin_service_url=service_url,
            loyalty_service_url=service_url,
            reminders_service_url=service_url,
            transparency_service_url=service_url,
        )
        yield servers.start(create_gateway(settings))
    finally:
        servers.stop_all()


def test_a_service_500_does_not_poison_the_next_request_through_the_gateway(
    gateway_before_failing_service: str,
) -> None:
    headers = bearer(Role.ADMIN, "ops")
    with httpx.Client(base_url=gateway_before_failing_service, headers=headers) as client:
        for _ in range(5):
            failed = client.post("/api/admin/boom", headers={"x-request-id": "req-7"})
            following = client.post("/api/admin/fine")

            assert failed.status_code == 500
            assert failed.json()["request_id"] == "req-7"
            assert "hunter2" not in failed.text
            # The next write, on whatever pooled connection, is served: not a 502.
            assert following.status_code == 200, following.text
            assert following.json() == {"status": "fine"}
