"""Content-Security-Policy from the front door: nothing may load from an API answer, the docs
pages get what they load, and a policy a route sets itself (the web console's) is kept."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from gateway.docs import add_docs_routes
from shared.front_door import install_front_door
from shared.http_settings import HttpFrontSettings
from shared.problems import install_problem_handlers
from shared.security_headers import API_POLICY, DOCS_POLICY

CONSOLE_POLICY = "default-src 'self'; frame-ancestors 'none'"


def _app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None)
    install_problem_handlers(app)

    @app.get("/items")
    async def items() -> dict[str, int]:
        return {"count": 1}

    @app.get("/console", response_class=HTMLResponse)
    async def console() -> HTMLResponse:
        return HTMLResponse("<p>console</p>", headers={"Content-Security-Policy": CONSOLE_POLICY})

    add_docs_routes(app, "/openapi.json")
    install_front_door(app, HttpFrontSettings(_env_file=None), lambda _scope: False)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_api_answers_allow_nothing_to_load(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/items"),
        await client.get("/nowhere"),  # a problem document
        await client.get("/openapi.json"),
        await client.options("/items"),
    ):
        assert response.headers.get_list("content-security-policy") == [API_POLICY.decode()]
    assert "frame-ancestors 'none'" in API_POLICY.decode()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_may_load_what_they_use_from_their_own_origin(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    (policy,) = response.headers.get_list("content-security-policy")
    assert policy == DOCS_POLICY.decode()
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert "'self'" in directives["script-src"]
    assert "'self'" in directives["connect-src"]  # the OpenAPI document
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-eval'" not in policy


async def test_a_policy_set_by_the_route_is_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/console")
    assert response.headers.get_list("content-security-policy") == [CONSOLE_POLICY]
    assert response.headers["x-frame-options"] == "DENY"
