"""Problem documents answered from raw ASGI middleware or the HTTP server itself, before any
framework (and its exception handlers) sees the request."""

from __future__ import annotations

import json
from collections.abc import Iterable
from http import HTTPStatus

from starlette.types import Send

from shared.problems import PROBLEM_MEDIA_TYPE


def problem_body(status: int, detail: str, instance: str | None = None) -> bytes:
    """The JSON bytes of a problem document."""
    document: dict[str, object] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        document["instance"] = instance
    return json.dumps(document, separators=(",", ":")).encode()


async def send_problem(
    send: Send,
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    """Answer the current ASGI request with a problem document."""
    body = problem_body(status, detail, instance)
    raw_headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *((name.encode("latin-1"), value.encode("latin-1")) for name, value in headers),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def raw_problem_response(status: int, detail: str) -> bytes:
    """A complete HTTP/1.1 problem response that closes the connection, for the server to
    write straight to a socket."""
    body = problem_body(status, detail)
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        f"content-type: {PROBLEM_MEDIA_TYPE}\r\n"
        f"content-length: {len(body)}\r\n"
        "x-content-type-options: nosniff\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body
