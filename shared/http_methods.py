"""HEAD and OPTIONS as HTTP says (RFC 9110 sections 9.3.2 and 9.3.7): HEAD is GET without the
body, and OPTIONS names the methods a path allows. FastAPI routes answer neither (405)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _matches(routes: Sequence[BaseRoute], scope: Scope, method: str) -> bool:
    probe = {**scope, "method": method}
    return any(route.matches(probe)[0] is Match.FULL for route in routes)


_PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Set in the scope of a HEAD request that runs a GET route, so that a costly route (an export)
# can answer its headers without doing the work its body would need.
HEAD_AS_GET = "ecom.head_as_get"


def is_head_request(scope: Scope) -> bool:
    """Whether this GET is really a HEAD (its body will be dropped)."""
    return scope.get(HEAD_AS_GET) is True


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> set[str]:
    """Every method some route on the request's path accepts (HEAD wherever GET is).

    Probed through `matches` rather than read from `route.methods`: FastAPI nests included
    routers, whose routes only answer a probe."""
    methods = {method for method in _PROBED_METHODS if _matches(routes, scope, method)}
    if "GET" in methods:
        methods.add("HEAD")
    return methods


class AnswerHeadAndOptions:
    """Pure ASGI: HEAD runs the GET route and drops the body; OPTIONS answers 204 with
    `Allow`. A route that declares HEAD or OPTIONS itself (the gateway's proxy) keeps them."""

    def __init__(self, app: ASGIApp, routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if scope["type"] != "http" or method not in {"HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        routes = self.routes()
        if _matches(routes, scope, method):
            await self.app(scope, receive, send)
            return
        if method == "HEAD" and _matches(routes, scope, "GET"):
            head = {**scope, "method": "GET", HEAD_AS_GET: True}
            await self.app(head, receive, _without_body(send))
            return
        allowed = allowed_methods(routes, scope)
        if method == "OPTIONS" and allowed:
            allow = ", ".join(sorted(allowed | {"OPTIONS"})).encode()
            headers = [(b"allow", allow), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


def _without_body(send: Send) -> Send:
    async def send_headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_headers_only
