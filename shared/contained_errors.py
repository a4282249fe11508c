"""Contained errors: an unhandled exception becomes a problem+json 500 that closes the connection.

Without this, Starlette sends its 500 and re-raises; uvicorn then drops the keep-alive connection
*after* a response that never said `Connection: close`. A pooling client (the gateway) keeps the
connection and the next request on it, possibly another caller's write, fails. Here the error is
logged with its traceback and answered with `Connection: close`, so every server in front knows
the connection ends with this response. A database outage is answered 503 (shared/outages.py).
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.outages import OUTAGE_DETAIL, RETRY_AFTER_S, is_outage
from shared.problems import PROBLEM_MEDIA_TYPE

logger = logging.getLogger(__name__)

UNEXPECTED_DETAIL = "An unexpected error occurred; it has been logged."
REQUEST_ID_HEADER = b"x-request-id"


def _request_id(scope: Scope) -> str | None:
    state = scope.get("state") or {}
    if request_id := state.get("request_id"):
        return str(request_id)
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER:
            decoded: str = value.decode("latin-1")
            return decoded
    return None


def contained_response(
    scope: Scope, error: BaseException
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body answering `error`: 503 for an outage, else 500; never details."""
    outage = is_outage(error)
    status = 503 if outage else 500
    problem: dict[str, object] = {
        "type": "about:blank",
        "title": "Service Unavailable" if outage else "Internal Server Error",
        "status": status,
        "detail": OUTAGE_DETAIL if outage else UNEXPECTED_DETAIL,
        "instance": scope.get("path"),
    }
    request_id = _request_id(scope)
    if request_id is not None:
        problem["request_id"] = request_id
    body = json.dumps(problem).encode()
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    if outage:
        headers.append((b"retry-after", str(RETRY_AFTER_S).encode()))
    return status, headers, body


class ContainedErrorsMiddleware:
    """Pure ASGI: the outermost layer of a service (inside the request id of the gateway)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; answer an exception that escapes it before any response byte."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        finished = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finished = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started and not finished:
                # Half a response is on the wire: only aborting the connection tells the
                # client that the body is truncated, so let the server do that.
                logger.exception("error while streaming %s %s", scope["method"], scope["path"])
                raise
            if finished:
                # The response is complete; the error happened after it (a background task).
                logger.exception("error after answering %s %s", scope["method"], scope["path"])
                return
            status, headers, body = contained_response(scope, error)
            log = logger.warning if status == 503 else logger.exception
            log(
                "%s on %s %s (request id %s)",
                "database unavailable" if status == 503 else "unhandled error",
                scope["method"],
                scope["path"],
                _request_id(scope),
                exc_info=error,
            )
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
