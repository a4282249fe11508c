"""The gateway against real loopback servers: a FastAPI upstream and the gateway, both uvicorn."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from pydantic import SecretStr, create_model

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.identity import (
    ASSERTION_HEADER,
    IdentityError,
    Principal,
    Role,
    issue_token,
    sign_assertion,
    verify_assertion,
)
from shared.problems import PROBLEM_MEDIA_TYPE
from shared.settings import RuntimeMode
from tests.servers import ThreadedServers, bound_socket

JWT_SECRET = "test-jwt-secret-of-sufficient-length-0123456789"
INTERNAL_SECRET = "test-internal-secret-of-sufficient-length-0123"
BIG_BODY = hashlib.sha256(b"seed").digest() * (5 * 1024 * 1024 // 32)  # 5 MiB, not compressible
CHUNK = 256 * 1024


# --- the upstream: one FastAPI app standing in for one service --------------------------------


def _principal_seen(request: Request) -> dict[str, str] | str | None:
    assertion = request.headers.get(ASSERTION_HEADER)
    if assertion is None:
        return None
    try:
        return verify_assertion(assertion, INTERNAL_SECRET).model_dump(mode="json")
    except IdentityError:
        return "invalid"


async def echo(request: Request) -> dict[str, Any]:
    body = await request.body()
    return {
        "served_by": request.app.title,
        "method": request.method,
        "raw_path": request.scope["raw_path"].decode(),
        "query": request.scope["query_string"].decode(),
        "headers": [[name.decode(), value.decode()] for name, value in request.headers.raw],
        "body": body.decode(),
        "principal": _principal_seen(request),
    }


async def big() -> Response:
    return Response(BIG_BODY, media_type="application/octet-stream")


async def big_unsized() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(BIG_BODY), CHUNK):
            yield BIG_BODY[start : start + CHUNK]

    return StreamingResponse(chunks(), media_type="application/octet-stream")


async def upload_digest(request: Request) -> dict[str, Any]:
    digest, length = hashlib.sha256(), 0
    async for chunk in request.stream():
        digest.update(chunk)
        length += len(chunk)
    return {
        "length": length,
        "sha256": digest.hexdigest(),
        "content_length": request.headers.get("content-length"),
    }


async def slow() -> dict[str, str]:
    await asyncio.sleep(1.5)
    return {"status": "late"}


async def cookies() -> Response:
    response = JSONResponse({"status": "ok"})
    response.set_cookie("first", "1")
    response.set_cookie("second", "2")
    return response


async def redirect(request: Request) -> RedirectResponse:
    return RedirectResponse("/elsewhere", status_code=307)


async def gzipped() -> Response:
    return Response(
        gzip.compress(b"squeezed " * 1000),
        media_type="text/plain",
        headers={"content-encoding": "gzip"},
    )


def make_upstream(title: str, prefixes: list[str]) -> FastAPI:
    """An upstream serving test routes under `/api/<prefix>/` for each prefix."""
    app = FastAPI(title=title)
    every_method = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    for prefix in prefixes:
        for method in every_method:
            app.add_api_route(
                f"/api/{prefix}/echo",
                echo,
                methods=[method],
                operation_id=f"{prefix}_echo_{method.lower()}",
            )
        routes: list[tuple[str, Any, list[str]]] = [
            ("big", big, ["GET"]),
            ("big-unsized", big_unsized, ["GET"]),
            ("upload-digest", upload_digest, ["POST"]),
            ("slow", slow, ["GET"]),
            ("cookies", cookies, ["GET"]),
            ("redirect", redirect, ["GET"]),
            ("gzipped", gzipped, ["GET"]),
        ]
        for name, endpoint, methods in routes:
            app.add_api_route(
                f"/api/{prefix}/{name}",
                endpoint,
                methods=methods,
                operation_id=f"{prefix}_{name}",
            )
        # Both upstreams name a component `Item` with different shapes: a clash to merge.
        field: dict[str, Any] = {"b" if title == "transparency" else "a": (str, ...)}
        model = create_model("Item", **field)

        async def item() -> dict[str, Any]:
            return {}

        app.add_api_route(
            f"/api/{prefix}/item",
            item,
            methods=["GET"],
            response_model=model,
            operation_id=f"{prefix}_item",
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


# --- servers on loopback ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def serve_in_thread() -> Iterator[Any]:
    """Start ASGI apps under uvicorn in background threads; all stop at module teardown."""
    servers = ThreadedServers()
    yield servers.start
    servers.stop_all()


@pytest.fixture(scope="module")
def refused_url() -> Iterator[str]:
    """A port that is bound but not listening: connecting is refused, and nobody can take it."""
    sock = bound_socket()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture(scope="module")
def upstreams(serve_in_thread: Any) -> dict[str, str]:
    main = serve_in_thread(make_upstream("main", ["admin", "loyalty", "reminders"]))
    transparency = serve_in_thread(make_upstream("transparency", ["transparency", "trust"]))
    return {"main": main, "transparency": transparency}


def gateway_settings(data_dir: Path, **overrides: Any) -> GatewaySettings:
    """Settings independent of the environment: explicit secrets, mode and data directory."""
    values: dict[str, Any] = {
        "mode": RuntimeMode.LOCAL,
        "data_dir": data_dir,
        "jwt_secret": SecretStr(JWT_SECRET),
        "internal_secret": SecretStr(INTERNAL_SECRET),
        "log_level": "WARNING",
        "_env_file": None,
        # These tests are about proxying; the front door's own refusals are tested elsewhere.
        "refuse_anonymous_writes": False,
        "rate_limit_per_s": 0,
        "max_body_bytes_by_path": {"/api/admin/upload-digest": 4 * len(BIG_BODY)},
        **overrides,
    }
    return GatewaySettings(**values)


@pytest.fixture(scope="module")
def gateway_url(
    serve_in_thread: Any, upstreams: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> str:
    settings = gateway_settings(
        tmp_path_factory.mktemp("gateway"),
        admin_service_url=upstreams["main"],
        loyalty_service_url=upstreams["main"],
        reminders_service_url=upstreams["main"],
        transparency_service_url=upstreams["transparency"],
    )
    url: str = serve_in_thread(create_app(settings))
    return url


@pytest.fixture(scope="module")
def degraded_gateway_url(
    serve_in_thread: Any,
    upstreams: dict[str, str],
    refused_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """A gateway whose reminders service is down and whose upstream timeout is short."""
    settings = gateway_settings(
        tmp_path_factory.mktemp("degraded"),
        admin_service_url=upstreams["main"],
        loyalty_service_url=upstreams["main"],
        reminders_service_url=refused_url,
        transparency_service_url=upstreams["transparency"],
        upstream_timeout_s=0.5,
    )
    url: str = serve_in_thread(create_app(settings))
    return url


@pytest.fixture
async def client(gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        yield http


@pytest.fixture
async def degraded_client(degraded_gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=degraded_gateway_url, timeout=30) as http:
        yield http


def header_names(echoed: dict[str, Any]) -> list[str]:
    return [name for name, _ in echoed["headers"]]


def header_value(echoed: dict[str, Any], wanted: str) -> str | None:
    values = [value for name, value in echoed["headers"] if name == wanted]
    assert len(values) <= 1, f"{wanted} sent {len(values)} times"
    return values[0] if values else None


def bearer(role: Role = Role.EDITOR, sub: str = "alice", **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(JWT_SECRET, role, sub, **kwargs)}"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert "Traceback" not in response.text
    return problem


# --- identity --------------------------------------------------------------------------------


async def test_valid_token_reaches_upstream_as_assertion_without_authorization(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/admin/echo", headers=bearer(Role.EDITOR, "alice"))

    assert response.status_code == 200
    echoed = response.json()
    assert echoed["principal"] == {"sub": "alice", "role": "editor"}
    assert "authorization" not in header_names(echoed)


async def test_forged_identity_headers_never_reach_upstream_anonymously(
    client: httpx.AsyncClient,
) -> None:
    # Even an assertion signed with the real internal secret is dropped when a client sends it.
    forged = sign_assertion(Principal(sub="mallory", role=Role.ADMIN), INTERNAL_SECRET)
    response = await client.get(
        "/api/admin/echo",
        headers={ASSERTION_HEADER: forged, "x-admin-role": "admin", "x-user-id": "1"},
    )

    echoed = response.json()
    assert echoed["principal"] is None
    for name in (ASSERTION_HEADER, "x-admin-role", "x-user-id"):
        assert name not in header_names(echoed)


async def test_forged_identity_headers_do_not_override_the_token(
    client: httpx.AsyncClient,
) -> None:
    forged = sign_assertion(Principal(sub="mallory", role=Role.ADMIN), INTERNAL_SECRET)
    headers = {**bearer(Role.CUSTOMER, "c-42"), ASSERTION_HEADER: forged, "x-admin-role": "admin"}
    response = await client.get("/api/loyalty/echo", headers=headers)

    echoed = response.json()
    assert echoed["principal"] == {"sub": "c-42", "role": "customer"}
    assert header_names(echoed).count(ASSERTION_HEADER) == 1
    assert "x-admin-role" not in header_names(echoed)


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {issue_token('some-other-secret-of-sufficient-length-000', Role.ADMIN, 'eve')}",
        f"Bearer {issue_token(JWT_SECRET, Role.ADMIN, 'eve', ttl_s=60, now=time.time() - 3600)}",
        "Bearer not-a-jwt",
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer",
    ],
    ids=["wrong-secret", "expired", "garbage", "basic-scheme", "empty-bearer"],
)
async def test_bad_credentials_are_refused_with_problem(
    client: httpx.AsyncClient, authorization: str
) -> None:
    response = await client.get("/api/admin/echo", headers={"Authorization": authorization})

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_anonymous_request_reaches_upstream_without_identity(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/reminders/echo")

    echoed = response.json()
    assert echoed["principal"] is None
    assert ASSERTION_HEADER not in header_names(echoed)


# --- what passes through ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_method_query_and_json_body_pass_through(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(
        method, "/api/admin/echo?b=two%20words&a=1&a=3", json={"sku": "X-1", "qty": 2}
    )

    echoed = response.json()
    assert echoed["method"] == method
    assert echoed["raw_path"] == "/api/admin/echo"
    assert echoed["query"] == "b=two%20words&a=1&a=3"
    assert echoed["body"] == '{"sku":"X-1","qty":2}'
    assert header_value(echoed, "content-type") == "application/json"


async def test_percent_encoded_path_is_forwarded_as_sent(client: httpx.AsyncClient) -> None:
    # The upstream has no such route; what matters is that the raw path arrived unchanged.
    response = await client.get("/api/admin/a%2Fb")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("route", ["big", "big-unsized"])
async def test_large_response_streams_intact(client: httpx.AsyncClient, route: str) -> None:
    received = bytearray()
    async with client.stream("GET", f"/api/admin/{route}") as response:
        assert response.status_code == 200
        if route == "big":
            assert response.headers["content-length"] == str(len(BIG_BODY))
        async for chunk in response.aiter_bytes():
            received.extend(chunk)

    assert hashlib.sha256(received).digest() == hashlib.sha256(BIG_BODY).digest()


async def test_large_request_body_streams_with_its_length(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/admin/upload-digest", content=BIG_BODY)

    assert response.json() == {
        "length": len(BIG_BODY),
        "sha256": hashlib.sha256(BIG_BODY).hexdigest(),
        "content_length": str(len(BIG_BODY)),
    }


async def test_chunked_request_body_streams_intact(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(BIG_BODY), CHUNK):
            yield BIG_BODY[start : start + CHUNK]

    response = await client.post("/api/admin/upload-digest", content=chunks())

    result = response.json()
    assert result["length"] == len(BIG_BODY)
    assert result["sha256"] == hashlib.sha256(BIG_BODY).hexdigest()


async def test_trust_routes_reach_the_transparency_service(client: httpx.AsyncClient) -> None:
    trust = (await client.get("/api/trust/echo")).json()
    transparency = (await client.get("/api/transparency/echo")).json()
    admin = (await client.get("/api/admin/echo")).json()

    assert trust["served_by"] == "transparency"
    assert trust["raw_path"] == "/api/trust/echo"
    assert transparency["served_by"] == "transparency"
    assert admin["served_by"] == "main"


async def test_client_request_id_is_propagated_both_ways(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/admin/echo", headers={"x-request-id": "req-123.abc"})

    assert response.headers["x-request-id"] == "req-123.abc"
    assert header_value(response.json(), "x-request-id") == "req-123.abc"


async def test_missing_or_unsafe_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    plain = await client.get("/api/admin/echo")
    unsafe = await client.get("/api/admin/echo", headers={"x-request-id": "x" * 500})

    for response in (plain, unsafe):
        generated = response.headers["x-request-id"]
        assert 0 < len(generated) <= 128
        assert header_value(response.json(), "x-request-id") == generated
    assert plain.headers["x-request-id"] != unsafe.headers["x-request-id"]


async def test_request_id_is_returned_on_gateway_errors(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nowhere/x", headers={"x-request-id": "trace-me"})

    assert response.headers["x-request-id"] == "trace-me"


async def test_forwarding_headers_describe_the_original_request(
    client: httpx.AsyncClient, gateway_url: str
) -> None:
    response = await client.get("/api/admin/echo")

    echoed = response.json()
    assert header_value(echoed, "x-forwarded-for") == "127.0.0.1"
    assert header_value(echoed, "x-forwarded-proto") == "http"
    assert header_value(echoed, "x-forwarded-host") == gateway_url.removeprefix("http://")


async def test_only_the_vouched_client_address_is_forwarded(client: httpx.AsyncClient) -> None:
    # The test client connects from loopback, which uvicorn trusts as a proxy by default: it
    # takes the rightmost address; the forged leftmost one must not reach the service.
    response = await client.get(
        "/api/admin/echo", headers={"x-forwarded-for": "198.51.100.1, 203.0.113.7"}
    )

    assert header_value(response.json(), "x-forwarded-for") == "203.0.113.7"


async def test_hop_by_hop_headers_are_not_forwarded(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/admin/echo",
        headers={
            "connection": "keep-alive, x-per-hop",
            "x-per-hop": "drop me",
            "proxy-authorization": "Basic abc",
            "x-end-to-end": "keep me",
        },
    )

    names = header_names(response.json())
    assert "x-end-to-end" in names
    for name in ("connection", "x-per-hop", "proxy-authorization", "keep-alive"):
        assert name not in names


async def test_gateway_invents_no_content_negotiation_headers(gateway_url: str) -> None:
    async with httpx.AsyncClient(base_url=gateway_url) as http:
        del http.headers["accept-encoding"]
        response = await http.get("/api/admin/echo", headers={"user-agent": "probe/1"})

    echoed = response.json()
    assert "accept-encoding" not in header_names(echoed)
    assert header_value(echoed, "user-agent") == "probe/1"


async def test_compressed_response_is_relayed_undecoded(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/admin/gzipped", headers={"accept-encoding": "gzip"})

    assert response.headers["content-encoding"] == "gzip"
    assert response.text == "squeezed " * 1000


async def test_every_set_cookie_is_relayed_and_none_is_kept_for_the_next_caller(
    gateway_url: str,
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url) as first_caller:
        response = await first_caller.get("/api/admin/cookies")
    async with httpx.AsyncClient(base_url=gateway_url) as second_caller:
        echoed = (await second_caller.get("/api/admin/echo")).json()

    assert len(response.headers.get_list("set-cookie")) == 2
    assert "cookie" not in header_names(echoed)


async def test_redirects_are_returned_not_followed(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/admin/redirect")

    assert response.status_code == 307
    assert response.headers["location"] == "/elsewhere"


async def test_upstream_errors_pass_through_unchanged(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/admin/no-such-route")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Not Found"}


# --- gateway errors --------------------------------------------------------------------------


async def test_unknown_service_is_a_404_problem(client: httpx.AsyncClient) -> None:
    problem = assert_problem(await client.get("/api/nowhere/anything"), 404)

    assert problem["instance"] == "/api/nowhere/anything"


async def test_dot_segments_are_refused(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/admin/%2E%2E/loyalty/echo"), 400)


async def test_unreachable_upstream_is_a_503_problem_without_internals(
    degraded_client: httpx.AsyncClient, refused_url: str
) -> None:
    response = await degraded_client.post("/api/reminders/echo", json={"a": 1})

    problem = assert_problem(response, 503)
    assert problem["detail"] == "The reminders service is unavailable; try again shortly."
    port = refused_url.rsplit(":", 1)[1]
    for internal in (port, "Errno", "Connect", "aiohttp", "refused"):
        assert internal not in response.text


async def test_slow_upstream_is_a_504_problem(degraded_client: httpx.AsyncClient) -> None:
    problem = assert_problem(await degraded_client.get("/api/admin/slow"), 504)

    assert "Timeout" not in problem["detail"]


# --- operations and the merged OpenAPI -------------------------------------------------------


async def test_gateway_health_and_own_openapi(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    own = await client.get("/openapi.json")

    assert health.json() == {"status": "ok"}
    assert own.status_code == 200
    assert "/healthz" in own.json()["paths"]


async def test_ready_when_every_service_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["services"] == dict.fromkeys(
        ("admin", "loyalty", "reminders", "transparency", "trust"), "ready"
    )


async def test_not_ready_lists_the_services_that_are_down(
    degraded_client: httpx.AsyncClient,
) -> None:
    response = await degraded_client.get("/readyz")
    problem = assert_problem(response, 503)

    assert problem["errors"] == [{"service": "reminders", "status": "unreachable"}]
    assert response.headers["retry-after"] == "5"


def _resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    resolved: dict[str, Any] = node
    return resolved


def _item_schema(document: dict[str, Any], path: str) -> dict[str, Any]:
    operation = document["paths"][path]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return _resolve(document, schema["$ref"])


async def test_merged_openapi_holds_every_service_route(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/openapi.json")).json()

    for prefix in ("admin", "loyalty", "reminders", "transparency", "trust"):
        assert f"/api/{prefix}/echo" in document["paths"]
    assert "/healthz" not in document["paths"]
    assert document["x-unavailable-services"] == []
    # Both upstreams call their component `Item`; each route must still resolve to its own.
    assert set(_item_schema(document, "/api/admin/item")["properties"]) == {"a"}
    assert set(_item_schema(document, "/api/trust/item")["properties"]) == {"b"}


async def test_docs_page_shows_the_merged_api(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "/api/openapi.json" in page.text


async def test_merged_openapi_lists_unreachable_services(
    degraded_client: httpx.AsyncClient,
) -> None:
    document = (await degraded_client.get("/api/openapi.json")).json()

    assert document["x-unavailable-services"] == ["reminders"]
    assert "/api/admin/echo" in document["paths"]
    assert not any(path.startswith("/api/reminders/") for path in document["paths"])
