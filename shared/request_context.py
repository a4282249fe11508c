"""The request a line of log belongs to: its id travels in a context variable.

The gateway picks (or accepts) the id and forwards it as `x-request-id`; each service reads it
back here, so one request's lines in every process share one id.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
# Only short, plain ids reach the logs; anything else is replaced by none.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def request_id_of(scope: Scope) -> str | None:
    """The id already chosen for this request (gateway), else the one its header carries."""
    chosen = scope.get("state", {}).get("request_id")
    if isinstance(chosen, str):
        return chosen
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER:
            candidate = value.decode("latin-1")
            return candidate if _ACCEPTABLE_ID.fullmatch(candidate) else None
    return None


class RequestContextMiddleware:
    """Pure ASGI: every log line written while a request is served carries its id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Set the context variable for the duration of the request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = current_request_id.set(request_id_of(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            current_request_id.reset(token)
