"""Redirects never expose a service's internal address.

Services and the gateway make no trailing-slash redirects (a 404 problem instead), and a
`Location` an upstream still writes with its own host and port reaches the client as the
public path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from gateway.app import create_app as create_gateway
from shared.identity import Role
from tests.e2e.conftest import bearer
from tests.gateway.test_proxy import gateway_settings
from tests.servers import ThreadedServers

SLASHED_PATHS = [
    "/api/admin/audit/",
    "/api/admin/products/",
    "/api/loyalty/segments/",
    "/api/reminders/configurations/",
    "/api/transparency/trust/scores/",
    "/api/admin",
    "/healthz/",
    "/readyz/",
]


def test_no_trailing_slash_redirects_through_the_gateway(gateway_url: str) -> None:
    port = str(urlsplit(gateway_url).port)
    with httpx.Client(base_url=gateway_url, headers=bearer(Role.ADMIN, "ops")) as client:
        assert client.get("/api/admin/products").status_code == 200
        for path in SLASHED_PATHS:
            response = client.get(path)

            assert response.status_code == 404, (path, response.status_code)
            assert "location" not in response.headers
            assert response.headers["content-type"] == "application/problem+json"
            assert "127.0.0.1" not in response.text, path
            assert port not in response.text


def _upstream() -> FastAPI:
    """A service that still writes absolute Locations naming its own address."""
    app = FastAPI()

    @app.get("/api/admin/items")
    async def items() -> list[str]:
        return []

    @app.get("/api/admin/moved")
    async def moved(request: Request) -> RedirectResponse:
        return RedirectResponse(str(request.url_for("items")) + "?page=2", status_code=307)

    @app.post("/api/admin/items")
    async def create(request: Request) -> Response:
        location = f"{request.base_url}api/admin/items/I-1"
        return Response(status_code=201, headers={"Location": location})

    @app.get("/api/admin/elsewhere")
    async def elsewhere() -> RedirectResponse:
        return RedirectResponse("https://example.com/docs", status_code=302)

    return app


@pytest.fixture
def gateway_before_redirecting_upstream(tmp_path: Path) -> Iterator[tuple[str, str]]:
    servers = ThreadedServers()
    try:
        upstream = servers.start(_upstream())
        settings = gateway_settings(
            tmp_path,
            admin_service_url=upstream,
            loyalty_service_url=upstream,
            reminders_service_url=upstream,
            transparency_service_url=upstream,
        )
        yield servers.start(create_gateway(settings)), upstream
    finally:
        servers.stop_all()


def test_upstream_locations_naming_the_service_become_public_paths(
    gateway_before_redirecting_upstream: tuple[str, str],
) -> None:
    gateway_url, upstream_url = gateway_before_redirecting_upstream
    internal = urlsplit(upstream_url).netloc
    with httpx.Client(base_url=gateway_url) as client:
        slashed = client.get("/api/admin/items/")
        moved = client.get("/api/admin/moved")
        created = client.post("/api/admin/items")
        elsewhere = client.get("/api/admin/elsewhere")

    # The upstream's own slash redirect (FastAPI's default) and its explicit ones.
    assert slashed.status_code == 307
    assert slashed.headers["location"] == "/api/admin/items"
    assert moved.headers["location"] == "/api/admin/items?page=2"
    assert created.headers["location"] == "/api/admin/items/I-1"
    # A Location elsewhere is the upstream's business: kept as written.
    assert elsewhere.headers["location"] == "https://example.com/docs"
    for response in (slashed, moved, created):
        assert internal not in response.headers["location"]
