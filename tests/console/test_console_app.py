"""The console's mounting and refusals that need no browser (the gateway app in-process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from console.session import CSRF_COOKIE
from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.identity import Role, issue_token
from shared.settings import RuntimeMode
from tests.e2e.conftest import INTERNAL_SECRET, JWT_SECRET

BROWSER = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture
async def compose_mode(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A compose-mode gateway (no services behind it), running its lifespan."""
    settings = GatewaySettings(
        _env_file=None,
        mode=RuntimeMode.COMPOSE,
        data_dir=tmp_path,
        jwt_secret=SecretStr(JWT_SECRET),
        internal_secret=SecretStr(INTERNAL_SECRET),
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://console.test") as client,
    ):
        yield client


async def test_one_click_sign_in_exists_only_in_local_mode(
    compose_mode: httpx.AsyncClient,
) -> None:
    page = await compose_mode.get("/sign-in", headers=BROWSER)
    token = page.cookies[CSRF_COOKIE]
    compose_mode.cookies.set(CSRF_COOKIE, token)

    refused = await compose_mode.post(
        "/sign-in/local", data={"role": "admin", "csrf_token": token}, headers=BROWSER
    )

    assert page.status_code == 200
    assert "Sign in as admin" not in page.text
    assert "Token or API key" in page.text
    assert refused.status_code == 404
    assert "only in local mode" in refused.text
    assert "set-cookie" not in refused.headers or "credential" not in refused.headers["set-cookie"]
    # Outside local mode the cookies are Secure.
    assert "secure" in page.headers["set-cookie"].lower()


async def test_unknown_paths_are_a_page_for_browsers_and_a_problem_for_others(
    compose_mode: httpx.AsyncClient,
) -> None:
    browser = await compose_mode.get("/no-such-screen", headers=BROWSER)
    probe = await compose_mode.get("/no-such-screen")
    head = await compose_mode.head("/sign-in")
    health = await compose_mode.head("/healthz")

    assert browser.status_code == probe.status_code == 404
    assert browser.headers["content-type"].startswith("text/html")
    assert probe.headers["content-type"] == "application/problem+json"
    assert (head.status_code, head.content) == (200, b"")
    assert health.status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
async def test_sign_in_never_redirects_off_site(
    compose_mode: httpx.AsyncClient, target: str
) -> None:
    page = await compose_mode.get("/sign-in", headers=BROWSER)
    token = page.cookies[CSRF_COOKIE]
    compose_mode.cookies.set(CSRF_COOKIE, token)
    credential = issue_token(JWT_SECRET, Role.VIEWER, "v")

    signed_in = await compose_mode.post(
        "/sign-in",
        data={"credential": credential, "next": target, "csrf_token": token},
        headers=BROWSER,
    )

    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/"


async def test_guessing_credentials_at_sign_in_is_throttled_like_the_api(tmp_path: Path) -> None:
    settings = GatewaySettings(
        _env_file=None,
        mode=RuntimeMode.COMPOSE,
        data_dir=tmp_path,
        jwt_secret=SecretStr(JWT_SECRET),
        internal_secret=SecretStr(INTERNAL_SECRET),
        rate_limit_per_s=0.01,
        rate_limit_burst=3,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://console.test") as client,
    ):
        page = await client.get("/sign-in", headers=BROWSER)
        token = page.cookies[CSRF_COOKIE]
        client.cookies.set(CSRF_COOKIE, token)
        statuses = []
        for guess in range(5):
            answer = await client.post(
                "/sign-in", data={"credential": f"guess-{guess}", "csrf_token": token}
            )
            statuses.append(answer.status_code)

    assert statuses[:3] == [401, 401, 401]
    assert statuses[3:] == [429, 429]
    assert "Too many requests" in answer.text
    assert int(answer.headers["retry-after"]) >= 1
