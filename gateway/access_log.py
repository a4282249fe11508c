"""One `gateway.access` log line per request: method, path, upstream, status, duration, ids.

Pure ASGI (nothing buffered). Installed inside `RequestIdMiddleware`, so the line carries the
id the response carries; every other line logged while the request is served carries it too.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.request_context import current_request_id, request_id_of

logger = logging.getLogger("gateway.access")
_API_PREFIX = "/api/"


def upstream_of(path: str) -> str | None:
    """The service a gateway path is routed to (`/api/<service>/...`), if any."""
    if not path.startswith(_API_PREFIX):
        return None
    service, slash, _ = path[len(_API_PREFIX) :].partition("/")
    return service if slash and service else None


def caller_of(scope: Scope) -> str | None:
    """`role:subject` of the authenticated caller, when the route recorded one."""
    principal = scope.get("state", {}).get("principal")
    role = getattr(principal, "role", None)
    sub = getattr(principal, "sub", None)
    if role is None:
        return None
    return f"{getattr(role, 'value', role)}:{sub}"


def log_access(scope: Scope, status: int, started: float) -> None:
    """Log the line of a request answered with `status` that arrived at `started`
    (`time.perf_counter()`); the request id comes from the context variable, as on every line."""
    if not logger.isEnabledFor(logging.INFO):
        return
    duration_ms = round((time.perf_counter() - started) * 1000, 2)
    path = scope.get("path", "")
    fields = {
        "method": scope.get("method"),
        "path": path,
        "upstream": upstream_of(path),
        "status": status,
        "duration_ms": duration_ms,
        "caller": caller_of(scope),
    }
    logger.info("%s %s %s %.1f ms", fields["method"], path, status, duration_ms, extra=fields)


class AccessLogMiddleware:
    """Logs each HTTP request once it has been answered (or has failed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, then log one line about it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before answering
        token = current_request_id.set(request_id_of(scope))

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            log_access(scope, status, started)
            current_request_id.reset(token)
