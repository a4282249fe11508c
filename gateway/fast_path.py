"""The proxy fast path: a proxied `/api/<service>/...` request served in one pass.

Through the full stack a proxied request crosses about a dozen ASGI layers (FastAPI's telemetry
check, Starlette's error and exception layers, latency histogram, trace, request id, access log,
contained errors, security headers, CORS, body limits, HEAD/OPTIONS, the router), each wrapping
`send` and copying the response's headers. The gateway app (`GatewayApp`) hands a plain proxied
request to this path instead, which does what those layers would do with the helpers they use
themselves: one span, one request id, one send wrapper that sets every response header, one
histogram sample and one access line.

A request it cannot serve exactly as the stack would goes through the stack unchanged: a CORS
preflight, a body that is chunked, badly declared, over its limit or too big to buffer, an
anonymous write (refused there before its body is read), an unknown service or a dot segment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from gateway.access_log import log_access
from gateway.front_door import presents_no_credentials
from gateway.metrics import observe_request, proxied_route_label, take_route_header
from gateway.proxy import BUFFER_LIMIT_BYTES
from gateway.proxy_route import PROXIED_METHODS, ProxyRoute, has_dot_segment
from gateway.request_id import request_id_for, with_request_id
from shared.contained_errors import contained_response
from shared.cors import CorsPolicy
from shared.headers import bounded_decimal
from shared.http_settings import HttpFrontSettings
from shared.problems import ProblemError, problem_response
from shared.request_context import current_request_id
from shared.request_limits import WRITE_METHODS, BodyLimits
from shared.security_headers import SecurityHeaderSet
from shared.tracing import current_trace, open_span

logger = logging.getLogger(__name__)

_API_PREFIX = "/api/"
_ORIGIN = b"origin"
_CONTENT_LENGTH = b"content-length"
_TRANSFER_ENCODING = b"transfer-encoding"


class ProxyFastPath:
    """Serves plain proxied requests in one pass; `service_of` says which requests are plain."""

    def __init__(
        self,
        settings: HttpFrontSettings,
        upstreams: Mapping[str, str],
        proxy: ProxyRoute,
    ) -> None:
        self.upstreams = upstreams
        self.proxy = proxy
        self.body_limits = BodyLimits(settings)
        self.refuse_anonymous_writes = settings.refuse_anonymous_writes
        # The policies of the stack's own CORS and security-header layers.
        self.cors = CorsPolicy(settings)
        self.security = SecurityHeaderSet(settings)

    def service_of(self, scope: Scope) -> str | None:
        """The service an HTTP request goes to, when this path can serve it as the stack
        would; None sends it through the stack."""
        path: str = scope["path"]
        if not path.startswith(_API_PREFIX) or scope.get("root_path"):
            return None
        service, slash, _ = path[len(_API_PREFIX) :].partition("/")
        if not slash or service not in self.upstreams or has_dot_segment(path):
            return None
        method: str = scope["method"]
        if method not in PROXIED_METHODS:
            return None  # the route answers 405
        origin = False
        declared: bytes | None = None
        for name, value in scope["headers"]:
            if name == _CONTENT_LENGTH:
                if declared is not None:
                    return None
                declared = value
            elif name == _TRANSFER_ENCODING:
                return None
            elif name == _ORIGIN:
                origin = True
        if origin and method == "OPTIONS" and self.cors.is_preflight(scope):
            return None
        if declared is not None:
            length = bounded_decimal(declared.decode("latin-1"))
            if length is None or length > min(
                BUFFER_LIMIT_BYTES, self.body_limits.limit(method, path)
            ):
                return None
        if (
            self.refuse_anonymous_writes
            and method in WRITE_METHODS
            and presents_no_credentials(scope)
        ):
            return None
        return service

    async def serve(self, scope: Scope, receive: Receive, send: Send, service: str) -> None:
        """Serve a request `service_of` named `service` for, with everything the stack's
        layers would add: span, request id, response headers, histogram and access line."""
        started = time.perf_counter()
        request_id = request_id_for(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        encoded_id = request_id.encode("latin-1")
        origin = next((value for name, value in scope["headers"] if name == _ORIGIN), None)
        trace_token = current_trace.set(open_span(scope))
        id_token = current_request_id.set(request_id)
        status = 500
        upstream_route: str | None = None
        response_started = False

        async def send_enveloped(message: Message) -> None:
            nonlocal status, upstream_route, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers, upstream_route = take_route_header(message.get("headers", []))
                headers = self.security.secured(self.cors.marked(headers, origin))
                message = {**message, "headers": with_request_id(headers, encoded_id)}
            await send(message)

        try:
            try:
                await self.proxy.proxy(scope, receive, send_enveloped, service)
            except Exception as error:
                if response_started:
                    # Half a response is on the wire: only aborting the connection tells the
                    # client that the body is truncated, so let the server do that.
                    logger.exception("error while streaming %s %s", scope["method"], scope["path"])
                    raise
                await _answer_error(scope, receive, send_enveloped, error)
        finally:
            route = proxied_route_label(service, upstream_route)
            observe_request(route, scope["method"], status, time.perf_counter() - started)
            log_access(scope, status, started)
            current_request_id.reset(id_token)
            current_trace.reset(trace_token)


async def _answer_error(scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
    """Answer as the stack's handlers would: a problem document for a ProblemError, else a
    contained 500 that closes the connection."""
    if isinstance(error, ProblemError):
        response = problem_response(
            error.status,
            error.detail,
            Request(scope),
            title=error.title,
            errors=error.errors,
            headers=error.headers,
        )
        await response(scope, receive, send)
        return
    logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
    status, headers, body = contained_response(scope, error)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
