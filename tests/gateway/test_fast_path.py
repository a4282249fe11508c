"""The proxy fast path answers exactly as the full middleware stack does.

Two gateways over one upstream, identical but for the fast path (switched off in the second),
get the same requests; everything but the per-request ids must match. Which requests the fast
path takes (and which it leaves to the stack) is checked on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from gateway.app import create_app
from gateway.fast_path import ProxyFastPath
from gateway.settings import GatewaySettings
from shared.identity import ASSERTION_HEADER, Role, issue_token
from shared.metrics import RouteHeaderMiddleware
from shared.settings import RuntimeMode
from tests.servers import ThreadedServers, bound_socket

JWT_SECRET = "test-jwt-secret-of-sufficient-length-0123456789"
INTERNAL_SECRET = "test-internal-secret-of-sufficient-length-0123"
ORIGIN = "https://console.example"
# Differ on every request by design: the request id and the trace the gateway opens.
PER_REQUEST_HEADERS = frozenset({"x-request-id", "date"})


def make_upstream() -> FastAPI:
    """A stand-in service that sets headers the gateway must replace or relay."""
    app = FastAPI()
    app.add_middleware(RouteHeaderMiddleware)

    @app.api_route("/api/admin/items/{item_id}", methods=["GET", "HEAD", "POST", "DELETE"])
    async def item(item_id: str, request: Request) -> Response:
        body = await request.body()
        return JSONResponse(
            {
                "item": item_id,
                "method": request.method,
                "body": body.decode(),
                "assertion": ASSERTION_HEADER in request.headers,
                "traceparent": "traceparent" in request.headers,
            },
            headers={
                "x-frame-options": "SAMEORIGIN",
                "access-control-allow-origin": "*",
                "etag": '"v1"',
                "set-cookie": "upstream=1",
            },
        )

    @app.get("/api/admin/missing")
    async def missing() -> Response:
        return JSONResponse({"status": 404}, status_code=404, media_type="application/problem+json")

    @app.get("/api/admin/page")
    async def page() -> Response:
        return Response(
            "<p>hi</p>",
            media_type="text/html",
            headers={"content-security-policy": "default-src 'self'"},
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def settings_for(data_dir: Path, upstream: str, down: str) -> GatewaySettings:
    return GatewaySettings(
        mode=RuntimeMode.LOCAL,
        data_dir=data_dir,
        jwt_secret=SecretStr(JWT_SECRET),
        internal_secret=SecretStr(INTERNAL_SECRET),
        log_level="WARNING",
        admin_service_url=upstream,
        loyalty_service_url=down,
        reminders_service_url=upstream,
        transparency_service_url=upstream,
        cors_origins=[ORIGIN],
        rate_limit_per_s=1000,
        rate_limit_burst=1000,
        _env_file=None,
    )


@pytest.fixture(scope="module")
def gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`fast`: the gateway as shipped; `stack`: the same with its fast path switched off."""
    servers = ThreadedServers()
    refused = bound_socket()
    down = f"http://127.0.0.1:{refused.getsockname()[1]}"
    try:
        upstream = servers.start(make_upstream())
        fast = create_app(settings_for(tmp_path_factory.mktemp("fast"), upstream, down))
        stack = create_app(settings_for(tmp_path_factory.mktemp("stack"), upstream, down))
        assert fast.proxy_fast_path is not None
        stack.proxy_fast_path = None
        yield {"fast": servers.start(fast), "stack": servers.start(stack)}
    finally:
        servers.stop_all()
        refused.close()


def bearer(role: Role = Role.EDITOR) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(JWT_SECRET, role, 'alice')}"}


def comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [
        (name.lower(), value)
        for name, value in response.headers.multi_items()
        if name.lower() not in PER_REQUEST_HEADERS
    ]
    body = response.content
    request_id = response.headers["x-request-id"]
    return response.status_code, headers, body.replace(request_id.encode(), b"<id>")


REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/api/admin/items/7?x=1", {"headers": {**bearer(), "Origin": ORIGIN}}),
    ("GET", "/api/admin/items/7", {"headers": {"Origin": "https://evil.example"}}),
    ("HEAD", "/api/admin/items/7", {"headers": bearer()}),
    ("POST", "/api/admin/items/8", {"headers": bearer(), "json": {"name": "x"}}),
    ("DELETE", "/api/admin/items/8", {"headers": bearer(Role.ADMIN)}),
    ("GET", "/api/admin/items/7", {"headers": {"Authorization": "Bearer not-a-token"}}),
    ("GET", "/api/admin/missing", {"headers": bearer()}),
    ("GET", "/api/admin/page", {}),
    ("GET", "/api/loyalty/anything", {"headers": bearer()}),
    ("GET", "/api/admin/items/7", {"headers": {"x-request-id": "caller-chosen.1"}}),
]


@pytest.mark.parametrize(("method", "path", "options"), REQUESTS)
def test_the_fast_path_answers_as_the_stack_does(
    gateways: dict[str, str], method: str, path: str, options: dict[str, Any]
) -> None:
    answers = [
        httpx.request(method, gateways[name] + path, timeout=10, **options)
        for name in ("fast", "stack")
    ]

    fast, stack = (comparable(answer) for answer in answers)
    assert fast == stack
    assert answers[0].headers["x-content-type-options"] == "nosniff"


def test_the_fast_path_times_requests_by_the_services_route(gateways: dict[str, str]) -> None:
    httpx.get(gateways["fast"] + "/api/admin/items/9", headers=bearer(), timeout=10)

    metrics = httpx.get(gateways["fast"] + "/metrics", timeout=10).text
    labels = [
        sample.labels
        for family in text_string_to_metric_families(metrics)
        if family.name == "gateway_request_duration_seconds"
        for sample in family.samples
        if sample.name.endswith("_count")
    ]
    assert {"route": "/api/admin/items/{item_id}", "method": "GET", "status": "200"} in labels


def scope_of(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "headers": headers}


@pytest.fixture
def fast_path(tmp_path: Path) -> ProxyFastPath:
    app = create_app(settings_for(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9"))
    assert app.proxy_fast_path is not None
    return app.proxy_fast_path


TOKEN = [(b"authorization", b"Bearer x")]


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/api/admin/items", []),
        ("GET", "/api/trust/scores/", []),
        ("HEAD", "/api/admin/items", []),
        ("OPTIONS", "/api/admin/items", [(b"origin", ORIGIN.encode())]),
        ("POST", "/api/admin/items", [*TOKEN, (b"content-length", b"12")]),
        ("DELETE", "/api/admin/items/1", TOKEN),
    ],
)
def test_plain_proxied_requests_take_the_fast_path(
    fast_path: ProxyFastPath, method: str, path: str, headers: list[tuple[bytes, bytes]]
) -> None:
    assert fast_path.service_of(scope_of(method, path, headers)) == path.split("/")[2]


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/api/openapi.json", []),
        ("GET", "/api/admin", []),
        ("GET", "/api/nowhere/x", []),
        ("GET", "/api/admin/../loyalty/x", []),
        ("GET", "/metrics", []),
        ("TRACE", "/api/admin/items", []),
        (
            "OPTIONS",
            "/api/admin/items",
            [(b"origin", ORIGIN.encode()), (b"access-control-request-method", b"GET")],
        ),
        ("POST", "/api/admin/items", [(b"content-length", b"12")]),
        ("POST", "/api/admin/items", [*TOKEN, (b"transfer-encoding", b"chunked")]),
        ("POST", "/api/admin/items", [*TOKEN, (b"content-length", b"12x")]),
        ("POST", "/api/admin/items", [*TOKEN, (b"content-length", b"999999999")]),
        (
            "POST",
            "/api/admin/items",
            [*TOKEN, (b"content-length", b"1"), (b"content-length", b"2")],
        ),
    ],
)
def test_other_requests_are_left_to_the_stack(
    fast_path: ProxyFastPath, method: str, path: str, headers: list[tuple[bytes, bytes]]
) -> None:
    assert fast_path.service_of(scope_of(method, path, headers)) is None
