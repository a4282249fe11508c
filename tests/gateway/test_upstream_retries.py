"""Dead pooled upstream connections: reads are retried once on a new connection, writes never.

The upstream is a real TCP server that answers the first request on each connection and keeps
it alive, then reads the next request on that connection and closes without answering: what
the gateway saw when a service dropped a connection after a 500, or killed it while idle.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from tests.gateway.test_proxy import gateway_settings
from tests.servers import ThreadedServers


class _DroppingUpstream(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _DroppingHandler)
        self.received: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.lock = threading.Lock()


class _DroppingHandler(socketserver.StreamRequestHandler):
    server: _DroppingUpstream

    def _read_request(self) -> str | None:
        request_line = self.rfile.readline()
        if not request_line:
            return None
        length = 0
        while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length:
            self.rfile.read(length)
        return request_line.decode("latin-1").split(" ", 1)[0]

    def handle(self) -> None:
        method = self._read_request()
        if method is None:
            return
        with self.server.lock:
            self.server.received[method] += 1
            self.server.answered[method] += 1
        body = json.dumps({"method": method}).encode()
        self.wfile.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
            + (b"" if method == "HEAD" else body)
        )
        self.wfile.flush()
        # The next request on this connection is read, then dropped unanswered.
        method = self._read_request()
        if method is not None:
            with self.server.lock:
                self.server.received[method] += 1
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)


@pytest.fixture
def upstream() -> Iterator[_DroppingUpstream]:
    server = _DroppingUpstream()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def gateway_url(upstream: _DroppingUpstream, tmp_path: Path) -> Iterator[str]:
    base = f"http://127.0.0.1:{upstream.server_address[1]}"
    settings = gateway_settings(
        tmp_path,
        admin_service_url=base,
        loyalty_service_url=base,
        reminders_service_url=base,
        transparency_service_url=base,
    )
    servers = ThreadedServers()
    try:
        yield servers.start(create_app(settings))
    finally:
        servers.stop_all()


def _call(client: httpx.Client, method: str) -> httpx.Response:
    kwargs: dict[str, Any] = {"json": {"a": 1}} if method in {"POST", "PUT", "PATCH"} else {}
    return client.request(method, "/api/admin/thing", **kwargs)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_a_read_on_a_dead_pooled_connection_is_retried_once(
    upstream: _DroppingUpstream, gateway_url: str, method: str
) -> None:
    with httpx.Client(base_url=gateway_url) as client:
        assert _call(client, "GET").status_code == 200
        second = _call(client, method)

    assert second.status_code == 200
    # Sent on the pooled connection (dropped), then again on a new one (answered).
    assert upstream.received[method] == (3 if method == "GET" else 2)
    assert upstream.answered[method] == (2 if method == "GET" else 1)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_on_a_dead_pooled_connection_is_not_replayed(
    upstream: _DroppingUpstream, gateway_url: str, method: str
) -> None:
    with httpx.Client(base_url=gateway_url) as client:
        assert _call(client, "GET").status_code == 200
        second = _call(client, method)
        third = _call(client, method)

    # The service may have acted on it before the connection broke: the client decides.
    assert second.status_code == 502
    assert second.headers["content-type"] == "application/problem+json"
    assert upstream.received[method] == 2
    # The broken connection left the pool: the next write goes through on a new one.
    assert third.status_code == 200
