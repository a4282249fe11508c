"""A real service (admin) on a real server behind its own front door, for direct callers: an
anonymous 46 MB write is refused before its body is read, oversized bodies are 413, HEAD and
OPTIONS answer, and responses carry the security headers."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.admin.app import create_app
from shared.identity import Role
from tests.conftest import TestDatabase
from tests.servers import ThreadedServers
from tests.services.admin.conftest import admin_settings
from tests.services.conftest import identity_headers
from tests.shared.raw_http import RawConnection


@pytest.fixture
def service_url(database: TestDatabase, tmp_path: Path) -> Iterator[str]:
    servers = ThreadedServers()
    settings = admin_settings(database, tmp_path, lingering_close_s=0.5)
    try:
        yield servers.start(create_app(settings))
    finally:
        servers.stop_all()


def test_an_anonymous_46_mb_write_is_refused_before_the_body_is_read(service_url: str) -> None:
    chunk = b"[" * 65536
    tracemalloc.start()
    try:
        connection = RawConnection(service_url)
        started = time.monotonic()
        connection.send(
            b"POST /api/admin/products HTTP/1.1\r\nHost: t\r\n"
            b"Content-Type: application/json\r\nContent-Length: 48234496\r\n\r\n"
        )
        connection.send_all(chunk for _ in range(736))  # 46 MiB, unless the server stops us
        response = connection.response(wait_s=10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    connection.close()

    assert response.status == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["connection"] == "close"
    assert time.monotonic() - started < 5
    # The service (in this process) parsed none of it.
    assert peak < 8 * 1024 * 1024, peak


def test_a_signed_in_oversized_write_is_413_and_head_options_answer(service_url: str) -> None:
    with httpx.Client(base_url=service_url) as http:
        too_big = http.post(
            "/api/admin/products",
            headers={**identity_headers(Role.ADMIN), "content-type": "application/json"},
            content=b" " * (1024 * 1024 + 1),
        )
        head = http.head("/healthz")
        options = http.options("/healthz")

    assert too_big.status_code == 413
    assert too_big.json()["detail"] == "The request body is larger than 1048576 bytes."
    assert (head.status_code, head.content) == (200, b"")
    assert (options.status_code, options.headers["allow"]) == (204, "GET, HEAD, OPTIONS")
    for response in (too_big, head, options):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
