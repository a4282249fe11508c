"""The gateway's front door on real loopback servers: rate limit (429 + Retry-After), header
and body limits, anonymous writes refused before their body is read, HEAD/OPTIONS on its own
routes, CORS answered once."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.front_door import install_front_door, lacks_gateway_assertion
from shared.http_settings import HttpFrontSettings
from shared.identity import Role, VerifiedTokens, issue_token, verify_assertion_until
from shared.problems import install_problem_handlers
from shared.settings import RuntimeMode
from tests.servers import ThreadedServers
from tests.shared.raw_http import RawConnection

JWT_SECRET = "test-jwt-secret-of-sufficient-length-0123456789"
INTERNAL_SECRET = "test-internal-secret-of-sufficient-length-0123"
ORIGIN = "https://console.example.com"
WRITE_LIMIT = 64 * 1024


def service_app(reads: list[int]) -> FastAPI:
    """A service-like upstream behind its own front door (so duplicate headers would show)."""
    settings = HttpFrontSettings(_env_file=None, cors_origins=[ORIGIN])
    app = FastAPI()
    app.state.settings = settings
    install_problem_handlers(app)

    @app.get("/api/admin/items")
    async def items() -> dict[str, list[int]]:
        return {"items": [1, 2]}

    @app.post("/api/admin/items")
    async def create_item(request: Request) -> dict[str, int]:
        length = len(await request.body())
        reads.append(length)
        return {"length": length}

    assertions = VerifiedTokens(partial(verify_assertion_until, internal_secret=INTERNAL_SECRET))
    install_front_door(app, settings, lacks_gateway_assertion(assertions))
    return app


def gateway_settings(data_dir: Path, upstream: str, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "mode": RuntimeMode.LOCAL,
        "data_dir": data_dir,
        "jwt_secret": SecretStr(JWT_SECRET),
        "internal_secret": SecretStr(INTERNAL_SECRET),
        "log_level": "WARNING",
        "_env_file": None,
        "admin_service_url": upstream,
        "max_write_body_bytes": WRITE_LIMIT,
        "cors_origins": [ORIGIN],
        "lingering_close_s": 0.5,
        **overrides,
    }
    return GatewaySettings(**values)


@pytest.fixture(scope="module")
def servers() -> Iterator[ThreadedServers]:
    running = ThreadedServers()
    yield running
    running.stop_all()


@pytest.fixture(scope="module")
def service(servers: ThreadedServers) -> tuple[str, list[int]]:
    reads: list[int] = []
    return servers.start(service_app(reads)), reads


@pytest.fixture(scope="module")
def gateway_url(
    servers: ThreadedServers,
    service: tuple[str, list[int]],
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    settings = gateway_settings(tmp_path_factory.mktemp("gw"), service[0], rate_limit_per_s=0)
    return servers.start(create_app(settings))


@pytest.fixture(scope="module")
def limited_gateway_url(
    servers: ThreadedServers,
    service: tuple[str, list[int]],
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    settings = gateway_settings(
        tmp_path_factory.mktemp("limited"), service[0], rate_limit_per_s=0.5, rate_limit_burst=3
    )
    return servers.start(create_app(settings))


@pytest.fixture
async def client(gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        yield http


def bearer(sub: str, role: Role = Role.ADMIN) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(JWT_SECRET, role, sub)}"}


def rate_limited(gateway_url: str) -> dict[str, float]:
    """`gateway_rate_limited_total` by scope, from the gateway's /metrics."""
    text = httpx.get(f"{gateway_url}/metrics").text
    return {
        sample.labels["scope"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "gateway_rate_limited_total"
    }


async def test_each_client_is_rate_limited_with_retry_after(limited_gateway_url: str) -> None:
    before = rate_limited(limited_gateway_url)
    async with httpx.AsyncClient(base_url=limited_gateway_url) as http:
        anonymous = [(await http.get("/api/admin/items")).status_code for _ in range(4)]
        refused = await http.get("/api/admin/items")
        ann = [(await http.get("/api/admin/items", headers=bearer("ann"))).status_code]
        # A failed sign-in is charged to the address, whose bucket is empty: no guessing spree.
        forged = await http.get("/api/admin/items", headers={"Authorization": "Bearer nope"})
        unlimited = await http.get("/healthz")

    assert anonymous == [200, 200, 200, 429]
    # Every refusal is counted by the kind of client key (never the key itself).
    after = rate_limited(limited_gateway_url)
    assert after["address"] == before.get("address", 0.0) + 3
    assert after.get("caller", 0.0) == before.get("caller", 0.0)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "2"
    assert refused.json()["detail"].startswith("Too many requests from this client")
    assert ann == [200]
    assert forged.status_code == 429
    assert unlimited.status_code == 200


async def test_an_oversized_body_is_refused_at_the_gateway_unread(
    client: httpx.AsyncClient, service: tuple[str, list[int]]
) -> None:
    service[1].clear()
    response = await client.post(
        "/api/admin/items", headers=bearer("ann"), content=b"x" * (WRITE_LIMIT + 1)
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert service[1] == []
    ok = await client.post("/api/admin/items", headers=bearer("ann"), content=b"x" * 100)
    assert ok.json() == {"length": 100}


async def test_an_oversized_chunked_body_is_refused_at_the_gateway(
    client: httpx.AsyncClient, service: tuple[str, list[int]]
) -> None:
    service[1].clear()

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(16):
            yield b"x" * 16 * 1024

    response = await client.post("/api/admin/items", headers=bearer("ann"), content=chunks())

    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert service[1] == []


def test_an_anonymous_46_mb_write_is_refused_before_its_body(gateway_url: str) -> None:
    connection = RawConnection(gateway_url)
    started = time.monotonic()
    connection.send(
        b"POST /api/admin/items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: 48234496\r\n\r\n"
    )
    response = connection.response(wait_s=5)
    connection.close()

    assert response.status == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert time.monotonic() - started < 2


def test_a_64_mb_header_is_refused_by_the_gateway(gateway_url: str) -> None:
    connection = RawConnection(gateway_url)
    connection.send(b"GET /api/admin/items HTTP/1.1\r\nHost: t\r\nX-Huge: ")
    connection.send_all(b"a" * 65536 for _ in range(1024))
    response = connection.response()
    connection.close()

    assert response.status == 431
    assert response.closed


async def test_head_and_options_on_the_gateways_own_routes(client: httpx.AsyncClient) -> None:
    head = await client.head("/healthz")
    options = await client.options("/healthz")

    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(b'{"status":"ok"}'))
    assert (options.status_code, options.headers["allow"]) == (204, "GET, HEAD, OPTIONS")


async def test_head_and_options_reach_the_service_routes(client: httpx.AsyncClient) -> None:
    head = await client.head("/api/admin/items")
    options = await client.options("/api/admin/items")

    assert (head.status_code, head.content) == (200, b"")
    assert (options.status_code, options.headers["allow"]) == (204, "GET, HEAD, OPTIONS, POST")


async def test_cors_and_security_headers_are_sent_once_through_the_gateway(
    client: httpx.AsyncClient,
) -> None:
    preflight = await client.options(
        "/api/admin/items",
        headers={"origin": ORIGIN, "access-control-request-method": "POST"},
    )
    proxied = await client.get("/api/admin/items", headers={"origin": ORIGIN})

    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert proxied.headers.get_list("access-control-allow-origin") == [ORIGIN]
    assert proxied.headers.get_list("x-content-type-options") == ["nosniff"]
    assert proxied.headers.get_list("x-frame-options") == ["DENY"]
    assert "x-request-id" in proxied.headers
