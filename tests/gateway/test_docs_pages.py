"""/docs and /redoc work offline: every script, style and icon they load comes from the gateway,
and they show the merged document."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from gateway.app import create_app
from gateway.settings import GatewaySettings

# Every URL an HTML page can make a browser load: attributes and Swagger UI's `url:` setting.
_REFERENCES = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = GatewaySettings(
        _env_file=None,
        data_dir=tmp_path,
        jwt_secret=SecretStr("docs-jwt-secret-long-enough-for-hs256-000"),
        internal_secret=SecretStr("docs-internal-secret-long-enough-for-hs256"),
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_page_loads_only_from_the_gateway_and_shows_the_merged_document(
    gateway: httpx.AsyncClient, page: str
) -> None:
    response = await gateway.get(page)

    assert response.status_code == 200
    references = [a or b for a, b in _REFERENCES.findall(response.text)]
    assert "/api/openapi.json" in references
    # No host of its own: nothing is fetched from a CDN or any other site.
    assert [ref for ref in references if not ref.startswith("/") or ref.startswith("//")] == []
    assert "https://" not in response.text
    assert "http://" not in response.text
    for asset in (ref for ref in references if ref.startswith("/docs/assets/")):
        loaded = await gateway.get(asset)
        assert loaded.status_code == 200, asset
        assert len(loaded.content) > 1000, asset
