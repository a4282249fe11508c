"""CORS from an allow-list of origins (pure ASGI): preflights are answered here, and allowed
origins' responses are marked readable. Origins not on the list get no CORS headers at all."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.asgi_problems import send_problem
from shared.http_settings import HttpFrontSettings

CORS_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
# Request headers a browser may send cross-origin; anything else in a preflight is refused.
CORS_REQUEST_HEADERS = frozenset(
    {
        "authorization",
        "content-type",
        "if-match",
        "if-none-match",
        "x-api-key",
        "x-request-id",
        "traceparent",
    }
)
# Response headers scripts may read beyond the CORS-safelisted ones.
CORS_EXPOSED_HEADERS = b"etag, location, retry-after, x-request-id"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class CorsPolicy:
    """The allow-list of origins, and the CORS headers it puts on a response."""

    def __init__(self, settings: HttpFrontSettings) -> None:
        self.origins = frozenset(origin.rstrip("/") for origin in settings.cors_origins)
        self.any_origin = "*" in self.origins
        self.max_age = str(settings.cors_max_age_s).encode()

    def _allowed(self, origin: bytes) -> bool:
        return self.any_origin or origin.decode("latin-1") in self.origins

    def is_preflight(self, scope: Scope) -> bool:
        """Whether the request is a CORS preflight, which `Cors` answers itself."""
        return (
            scope["method"] == "OPTIONS"
            and _header(scope, b"origin") is not None
            and _header(scope, b"access-control-request-method") is not None
        )

    def marked(
        self, headers: list[tuple[bytes, bytes]], origin: bytes | None
    ) -> list[tuple[bytes, bytes]]:
        """A response's `headers` with CORS headers for a request from `origin` (none if
        absent); an inner layer's own CORS headers are dropped."""
        kept = [
            (name, value)
            for name, value in headers
            if not name.lower().startswith(b"access-control-")
        ]
        if self.origins:
            kept.append((b"vary", b"Origin"))
        if origin is not None and self._allowed(origin):
            kept.append((b"access-control-allow-origin", origin))
            kept.append((b"access-control-expose-headers", CORS_EXPOSED_HEADERS))
        return kept


class Cors(CorsPolicy):
    """Answers preflights for allowed origins and adds `Access-Control-Allow-Origin` to their
    responses; any CORS header from an inner layer (a proxied service) is replaced."""

    def __init__(self, app: ASGIApp, settings: HttpFrontSettings) -> None:
        super().__init__(settings)
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        requested_method = _header(scope, b"access-control-request-method")
        if origin is not None and scope["method"] == "OPTIONS" and requested_method is not None:
            await self._preflight(scope, send, origin)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self.marked(message.get("headers", []), origin)}
            await send(message)

        await self.app(scope, receive, send_marked)

    async def _preflight(self, scope: Scope, send: Send, origin: bytes) -> None:
        path = scope["path"]
        if not self._allowed(origin):
            detail = "This origin may not call the API from a browser."
            await send_problem(send, 403, detail, instance=path, headers=[("vary", "Origin")])
            return
        requested = _header(scope, b"access-control-request-headers") or b""
        names = {name.strip().lower() for name in requested.decode("latin-1").split(",")}
        names.discard("")
        refused = sorted(names - CORS_REQUEST_HEADERS)
        if refused:
            detail = f"These headers may not be sent cross-origin: {', '.join(refused)}."
            await send_problem(send, 403, detail, instance=path, headers=[("vary", "Origin")])
            return
        headers = [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-methods", CORS_METHODS.encode()),
            (b"access-control-allow-headers", ", ".join(sorted(CORS_REQUEST_HEADERS)).encode()),
            (b"access-control-max-age", self.max_age),
            (b"vary", b"Origin"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
