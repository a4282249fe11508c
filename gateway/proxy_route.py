"""The `/api/<service>/...` route: pick the service, authenticate the caller, forward.

A raw ASGI endpoint, so that the same code serves a request whether it came through the full
middleware stack (the Starlette route) or through the proxy fast path (gateway/fast_path.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import aiohttp
from starlette.types import Receive, Scope, Send

from gateway.auth import Authenticator
from gateway.front_door import RateLimit, client_host_of, credentials_of
from gateway.proxy import forward
from shared.problems import ProblemError

PROXIED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_DOT_SEGMENTS = frozenset({".", ".."})


def has_dot_segment(path: str) -> bool:
    """Whether `path` holds a `.` or `..` segment, which a normalising hop could resolve into
    another service's routes."""
    return any(segment in _DOT_SEGMENTS for segment in path.split("/"))


class ProxyRoute:
    """Forwards a request routed at `/api/{service}/...` to that service (raw ASGI)."""

    def __init__(
        self,
        upstreams: Mapping[str, str],
        authenticator: Authenticator,
        rate_limit: RateLimit,
        session: Callable[[], aiohttp.ClientSession],
    ) -> None:
        self.upstreams = upstreams
        self.authenticator = authenticator
        self.rate_limit = rate_limit
        self.session = session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route endpoint: the service comes from the matched path parameters."""
        service: str = scope["path_params"]["service"]
        if service not in self.upstreams:
            raise ProblemError(404, "No service is routed at this path.")
        if has_dot_segment(scope["path"]):
            raise ProblemError(400, "Paths may not contain '.' or '..' segments.")
        await self.proxy(scope, receive, send, service)

    async def proxy(self, scope: Scope, receive: Receive, send: Send, service: str) -> None:
        """Authenticate and rate-limit the caller, then forward to `service` (already checked)."""
        session = self.session()
        principal = await self.rate_limit.authenticate(
            credentials_of(scope), client_host_of(scope), self.authenticator, session
        )
        scope["state"]["principal"] = principal  # the access log's caller
        await forward(
            scope,
            receive,
            send,
            session,
            service=service,
            base_url=self.upstreams[service],
            assertion=self.authenticator.assertion_for(principal) if principal else None,
        )
