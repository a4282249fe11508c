"""Route names for metrics, shared by the services (which know them) and the gateway.

A service knows which route template served a request (`/api/loyalty/customers/{customer_id}`);
the gateway, a catch-all proxy, does not. Each service therefore names the template in a response
header, and the gateway's metrics take it from there (and drop it before the client sees it), so
the gateway's latency histograms are per route with a bounded set of label values — never
per raw path.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ROUTE_HEADER = "x-ecom-route"
ROUTE_HEADER_BYTES = ROUTE_HEADER.encode()
# A template as FastAPI writes one: path segments and `{parameter}` placeholders, nothing else.
_TEMPLATE = re.compile(r"/[A-Za-z0-9_\-./{}:]{0,199}")


def route_template(scope: Scope) -> str | None:
    """The template of the route that matched this request, if routing found one."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else None


def is_route_template(value: str) -> bool:
    """Whether `value` looks like a route template (so it is safe as a label value)."""
    return _TEMPLATE.fullmatch(value) is not None


class RouteHeaderMiddleware:
    """Pure ASGI: adds `x-ecom-route: <template>` to responses of matched routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; name the matched route on the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_route(message: Message) -> None:
            if message["type"] == "http.response.start":
                template = route_template(scope)
                if template is not None:
                    headers = [
                        header
                        for header in message.get("headers", [])
                        if header[0].lower() != ROUTE_HEADER_BYTES
                    ]
                    headers.append((ROUTE_HEADER_BYTES, template.encode("latin-1")))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_route)
