"""The shared front door on a real server: body limits (413) before reading, anonymous writes
(401) before reading, HEAD and OPTIONS, CORS and security headers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.types import Scope

from shared.front_door import install_front_door
from shared.http_settings import HttpFrontSettings
from shared.problems import install_problem_handlers
from tests.servers import ThreadedServers
from tests.shared.raw_http import RawConnection

ALLOWED_ORIGIN = "https://console.example.com"
WRITE_LIMIT = 64 * 1024
READ_LIMIT = 1024
UPLOAD_LIMIT = 256 * 1024


def signed_in(scope: Scope) -> bool:
    return any(name == b"x-test-caller" for name, _ in scope["headers"])


def front_door_app(**overrides: Any) -> tuple[FastAPI, list[str]]:
    """A small app behind the front door; the list records the bodies its routes read."""
    settings = HttpFrontSettings(
        _env_file=None,
        max_write_body_bytes=WRITE_LIMIT,
        max_read_body_bytes=READ_LIMIT,
        max_body_bytes_by_path={"/upload": UPLOAD_LIMIT},
        cors_origins=[ALLOWED_ORIGIN],
        cors_max_age_s=123,
        hsts_max_age_s=31536000,
        lingering_close_s=0.5,
        **overrides,
    )
    app = FastAPI()
    app.state.settings = settings
    install_problem_handlers(app)
    reads: list[str] = []

    @app.get("/items")
    async def items() -> dict[str, list[int]]:
        return {"items": [1, 2, 3]}

    @app.post("/items")
    async def create_item(request: Request) -> dict[str, int]:
        reads.append("items")
        return {"length": len(await request.body())}

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, int]:
        reads.append("upload")
        length = 0
        async for chunk in request.stream():
            length += len(chunk)
        return {"length": length}

    install_front_door(app, settings, lambda scope: not signed_in(scope))
    return app, reads


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, list[str]]]:
    servers = ThreadedServers()
    app, reads = front_door_app()
    yield servers.start(app), reads
    servers.stop_all()


@pytest.fixture
async def client(served: tuple[str, list[str]]) -> AsyncIterator[httpx.AsyncClient]:
    served[1].clear()
    async with httpx.AsyncClient(base_url=served[0], headers={"x-test-caller": "ann"}) as http:
        yield http


def assert_problem(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == detail


async def test_a_body_over_the_write_limit_is_refused_by_its_length_unread(
    client: httpx.AsyncClient, served: tuple[str, list[str]]
) -> None:
    response = await client.post("/items", content=b"x" * (WRITE_LIMIT + 1))

    assert_problem(response, 413, f"The request body is larger than {WRITE_LIMIT} bytes.")
    assert response.headers["connection"] == "close"
    assert served[1] == []
    assert (await client.post("/items", content=b"x" * WRITE_LIMIT)).json() == {
        "length": WRITE_LIMIT
    }


async def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"x" * 16 * 1024

    response = await client.post("/upload", content=chunks())

    assert_problem(response, 413, f"The request body is larger than {UPLOAD_LIMIT} bytes.")


async def test_a_path_override_raises_the_limit_for_its_prefix(client: httpx.AsyncClient) -> None:
    response = await client.post("/upload", content=b"x" * UPLOAD_LIMIT)

    assert response.json() == {"length": UPLOAD_LIMIT}


async def test_reads_carry_at_most_the_read_limit(client: httpx.AsyncClient) -> None:
    response = await client.request("GET", "/items", content=b"x" * (READ_LIMIT + 1))

    assert_problem(response, 413, f"The request body is larger than {READ_LIMIT} bytes.")


def test_an_anonymous_46_mb_write_is_refused_before_its_body_is_read(
    served: tuple[str, list[str]],
) -> None:
    served[1].clear()
    connection = RawConnection(served[0])
    started = time.monotonic()
    # Only the head is sent: the answer must not wait for the 46 MB it announces.
    connection.send(b"POST /items HTTP/1.1\r\nHost: t\r\nContent-Length: 48234496\r\n\r\n")
    response = connection.response(wait_s=5)
    connection.close()

    assert response.status == 401
    assert response.json()["detail"] == "Sign in: writes need a bearer token or an API key."
    assert response.headers["www-authenticate"] == "Bearer"
    assert time.monotonic() - started < 2
    assert served[1] == []


async def test_head_is_get_without_the_body(client: httpx.AsyncClient) -> None:
    get = await client.get("/items")
    head = await client.head("/items")

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["content-type"] == "application/json"


async def test_options_names_the_allowed_methods(client: httpx.AsyncClient) -> None:
    items = await client.options("/items")
    upload = await client.options("/upload")

    assert (items.status_code, items.headers["allow"]) == (204, "GET, HEAD, OPTIONS, POST")
    assert (upload.status_code, upload.headers["allow"]) == (204, "OPTIONS, POST")
    assert (await client.options("/nowhere")).status_code == 404
    assert (await client.head("/upload")).status_code == 405


async def test_a_preflight_from_an_allowed_origin_is_answered(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/items",
        headers={
            "origin": ALLOWED_ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "Authorization, Content-Type, If-Match",
        },
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"]
    assert {"authorization", "content-type", "if-match"} <= set(allowed_headers.split(", "))
    assert response.headers["access-control-max-age"] == "123"


async def test_other_origins_get_no_cors_answer(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/items",
        headers={"origin": "https://evil.example", "access-control-request-method": "GET"},
    )
    simple = await client.get("/items", headers={"origin": "https://evil.example"})
    allowed = await client.get("/items", headers={"origin": ALLOWED_ORIGIN})

    assert_problem(preflight, 403, "This origin may not call the API from a browser.")
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in simple.headers
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert allowed.headers["vary"] == "Origin"


async def test_a_preflight_for_an_unlisted_header_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/items",
        headers={
            "origin": ALLOWED_ORIGIN,
            "access-control-request-method": "GET",
            "access-control-request-headers": "x-ecom-identity",
        },
    )

    assert_problem(response, 403, "These headers may not be sent cross-origin: x-ecom-identity.")


async def test_every_response_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    responses = [
        await client.get("/items"),
        await client.get("/nowhere"),
        await client.post("/items", content=b"x" * (WRITE_LIMIT + 1)),
        await client.post("/items", headers={"x-test-caller": ""}, json={}),
        await client.options("/items"),
    ]

    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains"
        )
        assert response.headers.get_list("x-content-type-options") == ["nosniff"]
