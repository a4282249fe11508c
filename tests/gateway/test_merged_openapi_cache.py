"""The merged OpenAPI document is built once, served from memory, and rebuilt when a service's
document changes (or a service comes and goes), against a real upstream on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.openapi_schema import etag_of
from tests.servers import ThreadedServers

REFRESH_S = 0.3


class ChangingService:
    """An upstream whose OpenAPI document a test edits; it counts full and 304 answers."""

    def __init__(self) -> None:
        self.paths: dict[str, Any] = {"/api/admin/first": {"get": {"responses": {}}}}
        self.up = True
        self.full = 0
        self.not_modified = 0

    async def openapi(self, request: Request) -> Response:
        if not self.up:
            return JSONResponse({"detail": "starting"}, status_code=503)
        document = {"openapi": "3.1.0", "info": {"title": "s", "version": "1"}, "paths": self.paths}
        etag = etag_of(repr(document).encode())
        if request.headers.get("if-none-match") == etag:
            self.not_modified += 1
            return Response(status_code=304, headers={"ETag": etag})
        self.full += 1
        return JSONResponse(document, headers={"ETag": etag})


@pytest.fixture
def service_and_gateway(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[ChangingService, str]]:
    """The upstream and a gateway in front of it, revalidating every REFRESH_S (or the
    `refresh_s` the test is parametrized with)."""
    refresh_s = getattr(request, "param", REFRESH_S)
    service = ChangingService()
    servers = ThreadedServers()
    app = FastAPI(openapi_url=None)
    app.add_route("/openapi.json", service.openapi)
    upstream = servers.start(app)
    settings = GatewaySettings(
        _env_file=None,
        data_dir=tmp_path,
        jwt_secret=SecretStr("cache-jwt-secret-long-enough-for-hs256-00"),
        internal_secret=SecretStr("cache-internal-secret-long-enough-for-hs256"),
        openapi_refresh_s=refresh_s,
        admin_service_url=upstream,
        loyalty_service_url=upstream,
        transparency_service_url=upstream,
        reminders_service_url=upstream,
    )
    try:
        yield service, servers.start(create_app(settings))
    finally:
        servers.stop_all()


def _paths(gateway_url: str) -> set[str]:
    return set(httpx.get(f"{gateway_url}/api/openapi.json").json()["paths"])


@pytest.mark.parametrize("service_and_gateway", [60.0], indirect=True)
def test_merged_document_is_built_once_for_many_requests(
    service_and_gateway: tuple[ChangingService, str],
) -> None:
    service, gateway_url = service_and_gateway

    bodies = {httpx.get(f"{gateway_url}/api/openapi.json").content for _ in range(20)}

    assert len(bodies) == 1
    assert (service.full, service.not_modified) == (1, 0)


def test_merged_document_answers_304_to_its_etag(
    service_and_gateway: tuple[ChangingService, str],
) -> None:
    _service, gateway_url = service_and_gateway
    first = httpx.get(f"{gateway_url}/api/openapi.json")

    again = httpx.get(
        f"{gateway_url}/api/openapi.json", headers={"If-None-Match": first.headers["etag"]}
    )

    assert (again.status_code, again.content) == (304, b"")


def test_a_changed_service_document_is_merged_after_the_refresh_interval(
    service_and_gateway: tuple[ChangingService, str],
) -> None:
    service, gateway_url = service_and_gateway
    assert _paths(gateway_url) == {"/api/admin/first"}
    time.sleep(REFRESH_S * 2)
    assert _paths(gateway_url) == {"/api/admin/first"}
    assert service.not_modified == 1  # revalidated, not fetched again

    service.paths["/api/admin/second"] = {"get": {"responses": {}}}
    time.sleep(REFRESH_S * 2)

    assert _paths(gateway_url) == {"/api/admin/first", "/api/admin/second"}


def test_a_service_that_comes_up_later_is_merged_once_it_answers(
    service_and_gateway: tuple[ChangingService, str],
) -> None:
    service, gateway_url = service_and_gateway
    service.up = False
    down = httpx.get(f"{gateway_url}/api/openapi.json").json()
    assert (down["paths"], "admin" in down["x-unavailable-services"]) == ({}, True)

    service.up = True
    time.sleep(REFRESH_S * 2)

    merged = httpx.get(f"{gateway_url}/api/openapi.json").json()
    assert (set(merged["paths"]), merged["x-unavailable-services"]) == ({"/api/admin/first"}, [])
