"""Correlation ids: every request carries an `x-request-id`, echoed on its response."""

from __future__ import annotations

import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_HEADER_BYTES = REQUEST_ID_HEADER.encode()
# A client-chosen id ends up in logs and upstream headers, so only short, plain ids are kept.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def with_request_id(
    headers: list[tuple[bytes, bytes]], encoded_id: bytes
) -> list[tuple[bytes, bytes]]:
    """A response's `headers` carrying `encoded_id` as its one request id."""
    kept = [(name, value) for name, value in headers if name.lower() != _REQUEST_ID_HEADER_BYTES]
    kept.append((_REQUEST_ID_HEADER_BYTES, encoded_id))
    return kept


def request_id_for(scope: Scope) -> str:
    """The client's id when it is short and plain, else a new one."""
    # 128 random bits as 32 hex digits, as a uuid4's hex but without building the UUID.
    return _incoming_id(scope) or secrets.token_hex(16)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER_BYTES:
            candidate = value.decode("latin-1")
            return candidate if _ACCEPTABLE_ID.fullmatch(candidate) else None
    return None


class RequestIdMiddleware:
    """Pure ASGI middleware: puts the id in `request.state.request_id` and on every response.

    Pure ASGI rather than BaseHTTPMiddleware so streamed responses pass through untouched and
    the per-request cost stays a few dictionary operations.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Attach the request id, then run the wrapped app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        encoded = request_id.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": with_request_id(message.get("headers", []), encoded),
                }
            await send(message)

        await self.app(scope, receive, send_with_id)
