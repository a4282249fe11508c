"""Content-Length values no parser expected reach a 400 problem, never a 500.

`str.isdigit` accepted a superscript digit that `int()` then refused, and `int()` refuses more
than 4,300 digits: both were 500s. Over a socket the server's parser refuses most of them first;
in-process (another server, or none) the gateway's own check must.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.types import Message

from gateway.app import create_app
from tests.gateway.test_proxy import gateway_settings
from tests.servers import ThreadedServers

BAD_LENGTHS = ["\xb9", "\xb2\xb3", "9" * 5000, "1_0", " 5x", "-1", "0x10", "+3", ""]


@pytest.mark.parametrize("length", BAD_LENGTHS, ids=range(len(BAD_LENGTHS)))
async def test_a_bad_content_length_is_a_400_problem(tmp_path: Path, length: str) -> None:
    app = create_app(gateway_settings(tmp_path, admin_service_url="http://127.0.0.1:9"))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/admin/echo",
        "raw_path": b"/api/admin/echo",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"gateway"), (b"content-length", length.encode("latin-1"))],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async with app.router.lifespan_context(app):
        await app(scope, receive, send)

    start = sent[0]
    body = b"".join(message.get("body", b"") for message in sent[1:])
    assert start["status"] == 400, body
    assert (b"content-type", b"application/problem+json") in start["headers"]
    assert json.loads(body)["detail"] == "Content-Length must be a number of bytes (ASCII digits)."


@pytest.mark.parametrize("length", [b"\xb9", b"9" * 5000, b"1_0"])
def test_over_a_socket_a_bad_content_length_is_refused_not_a_500(
    length: bytes, tmp_path: Path
) -> None:
    servers = ThreadedServers()
    try:
        url = servers.start(create_app(gateway_settings(tmp_path)))
        address = urlsplit(url)
        with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
            sock.sendall(
                b"POST /api/admin/echo HTTP/1.1\r\nHost: gateway\r\n"
                + b"Content-Length: "
                + length
                + b"\r\n\r\n"
            )
            status_line = sock.makefile("rb").readline()
    finally:
        servers.stop_all()
    assert status_line.split(b" ")[1] == b"400", status_line
