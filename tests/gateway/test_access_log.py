"""The gateway's access log against real loopback servers: one `gateway.access` line per
request, and the upstream's own lines carry the same request id."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from gateway.access_log import upstream_of
from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.identity import Role, issue_token
from shared.log import JsonFormatter
from shared.request_context import RequestContextMiddleware
from shared.settings import RuntimeMode
from tests.servers import ThreadedServers

JWT_SECRET = "test-jwt-secret-of-sufficient-length-0123456789"
INTERNAL_SECRET = "test-internal-secret-of-sufficient-length-0123"
upstream_logger = logging.getLogger("services.test_upstream")


def make_upstream() -> FastAPI:
    """A service stand-in that logs while serving, as the real services do."""
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)

    @app.get("/api/admin/thing")
    async def thing() -> dict[str, str]:
        upstream_logger.warning("serving thing")
        return {"ok": "yes"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    servers = ThreadedServers()
    upstream = servers.start(make_upstream())
    settings = GatewaySettings(
        mode=RuntimeMode.LOCAL,
        data_dir=tmp_path_factory.mktemp("gateway"),
        jwt_secret=SecretStr(JWT_SECRET),
        internal_secret=SecretStr(INTERNAL_SECRET),
        log_level="WARNING",
        admin_service_url=upstream,
        loyalty_service_url=upstream,
        reminders_service_url=upstream,
        transparency_service_url=upstream,
        _env_file=None,
    )
    yield servers.start(create_app(settings))
    servers.stop_all()


def access_lines(caplog: pytest.LogCaptureFixture, at_least: int = 1) -> list[dict[str, Any]]:
    """The access lines logged so far, waiting (up to 5 s) for `at_least`: the gateway's server
    thread writes a line once the answer has gone out, which may be after the client has it."""
    formatter = JsonFormatter()
    deadline = time.monotonic() + 5
    while True:
        records = [r for r in caplog.records if r.name == "gateway.access"]
        if len(records) >= at_least or time.monotonic() > deadline:
            return [json.loads(formatter.format(r)) for r in records]
        time.sleep(0.02)


def test_one_access_line_per_request_with_route_upstream_status_and_ids(
    gateway_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    token = issue_token(JWT_SECRET, Role.ADMIN, "alice")
    ok = httpx.get(
        f"{gateway_url}/api/admin/thing",
        headers={"Authorization": f"Bearer {token}", "x-request-id": "trace-42"},
    )
    anonymous = httpx.get(f"{gateway_url}/api/admin/thing")
    unrouted = httpx.get(f"{gateway_url}/api/nowhere/x")
    health = httpx.get(f"{gateway_url}/healthz")
    assert ok.status_code == 200
    assert anonymous.status_code == 200
    assert unrouted.status_code == 404
    assert health.status_code == 200

    lines = access_lines(caplog, at_least=4)
    assert len(lines) == 4
    first, second, third, fourth = lines
    assert first["method"] == "GET"
    assert first["path"] == "/api/admin/thing"
    assert first["upstream"] == "admin"
    assert first["status"] == 200
    assert first["request_id"] == "trace-42"
    assert first["caller"] == "admin:alice"
    assert isinstance(first["duration_ms"], float)
    assert first["duration_ms"] >= 0
    assert first["logger"] == "gateway.access"
    assert first["level"] == "INFO"
    assert second["status"] == 200
    assert second["caller"] is None
    assert second["request_id"] == anonymous.headers["x-request-id"]
    assert third["status"] == 404
    assert third["upstream"] == "nowhere"
    assert fourth["path"] == "/healthz"
    assert fourth["upstream"] is None


def test_the_upstreams_lines_carry_the_gateways_request_id(
    gateway_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    token = issue_token(JWT_SECRET, Role.ADMIN, "alice")
    response = httpx.get(
        f"{gateway_url}/api/admin/thing", headers={"Authorization": f"Bearer {token}"}
    )
    chosen = response.headers["x-request-id"]
    formatter = JsonFormatter()
    served = [
        json.loads(formatter.format(r))
        for r in caplog.records
        if r.name == "services.test_upstream"
    ]
    assert [entry["request_id"] for entry in served] == [chosen]
    assert access_lines(caplog)[0]["request_id"] == chosen


def test_upstream_of() -> None:
    assert upstream_of("/api/loyalty/segments") == "loyalty"
    assert upstream_of("/api/loyalty") is None
    assert upstream_of("/docs") is None
