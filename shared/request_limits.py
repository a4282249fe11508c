"""Request bodies: refused for size before they are read, and for anonymous writes before a
single body byte is read (pure ASGI, so nothing is buffered on the way)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.asgi_problems import send_problem
from shared.headers import CONTENT_LENGTH_PROBLEM, bounded_decimal
from shared.http_settings import HttpFrontSettings

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# The server closes the connection (after letting in-flight bytes drain) instead of reading a
# refused body to its end.
_CLOSE = ("connection", "close")


class BodyTooLarge(HTTPException):
    """A streamed body passed its limit. An HTTPException so that FastAPI's body parsing
    re-raises it unchanged and the problem handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"The request body is larger than {limit} bytes.",
            headers={"Connection": "close"},
        )


class BodyLimits:
    """The byte limit of a request's body, by path prefix or else by method."""

    def __init__(self, settings: HttpFrontSettings) -> None:
        self.write_limit = settings.max_write_body_bytes
        self.read_limit = settings.max_read_body_bytes
        # Longest prefix first, so the most specific override wins.
        self.by_prefix = sorted(
            settings.max_body_bytes_by_path.items(), key=lambda item: len(item[0]), reverse=True
        )

    def limit(self, method: str, path: str) -> int:
        """The largest body `method` on `path` may carry."""
        for prefix, limit in self.by_prefix:
            if path.startswith(prefix):
                return limit
        return self.write_limit if method in _BODY_METHODS else self.read_limit


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class RequestLimits:
    """Pure ASGI: 401 for an anonymous write and 413 for a body over its limit (by
    Content-Length before reading, or while a chunked body streams)."""

    def __init__(
        self,
        app: ASGIApp,
        settings: HttpFrontSettings,
        is_anonymous: Callable[[Scope], bool],
    ) -> None:
        self.app = app
        self.limits = BodyLimits(settings)
        self.refuse_anonymous_writes = settings.refuse_anonymous_writes
        self.is_anonymous = is_anonymous

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        declared = _header(scope, b"content-length")
        has_body = (declared is not None and declared != b"0") or (
            _header(scope, b"transfer-encoding") is not None
        )
        if self.refuse_anonymous_writes and method in WRITE_METHODS and self.is_anonymous(scope):
            headers = [("www-authenticate", "Bearer")] + ([_CLOSE] if has_body else [])
            detail = "Sign in: writes need a bearer token or an API key."
            await send_problem(send, 401, detail, instance=path, headers=headers)
            return
        limit = self.limits.limit(method, path)
        if declared is not None:
            length = bounded_decimal(declared.decode("latin-1"))
            if length is None:
                detail = CONTENT_LENGTH_PROBLEM
                await send_problem(send, 400, detail, instance=path, headers=[_CLOSE])
                return
            if length > limit:
                detail = f"The request body is larger than {limit} bytes."
                await send_problem(send, 413, detail, instance=path, headers=[_CLOSE])
                return
            # The server stops at Content-Length bytes, so nothing more needs counting.
            await self.app(scope, receive, send)
            return
        if not has_body:
            await self.app(scope, receive, send)
            return
        await self._stream_counted(scope, receive, send, limit)

    async def _stream_counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        exceeded = False
        response_started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def refuse() -> None:
            nonlocal response_started
            response_started = True
            detail = f"The request body is larger than {limit} bytes."
            await send_problem(send, 413, detail, instance=scope["path"], headers=[_CLOSE])

        async def watched_send(message: Message) -> None:
            nonlocal response_started
            if exceeded and not response_started:
                # Whatever the app made of the refused body (a proxy's 502, say), the answer
                # is the 413; the app's own response is dropped.
                await refuse()
                return
            if exceeded and message["type"] == "http.response.body":
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if response_started:
                raise
            await refuse()
