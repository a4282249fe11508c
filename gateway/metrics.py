"""The gateway's Prometheus metrics and trace propagation, installed by one call.

- `gateway_request_duration_seconds{route,method,status}`: a latency histogram per route. A
  proxied request is labelled with the template of the service route that answered it (the
  service names it in `x-ecom-route`, removed here before the client sees it), or with
  `/api/<service>/*` when no service route matched; the gateway's own routes by their template.
- `gateway_upstream_errors_total{upstream,kind}`: transport failures talking to a service
  (`connect`, `timeout`, `invalid_response`, ...), counted by `note_upstream_error`.
- `gateway_rate_limited_total{scope}`: requests refused by the rate limiter, counted by
  `note_rate_limited` (the limiter calls it).
- `GET /metrics`: the above in Prometheus' text format.
- `traceparent`: continued or started here and forwarded to the service (shared/tracing.py).

The counters live in one registry per process, as Prometheus' own client does by default, so
code anywhere in the gateway can count without holding the app.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import aiohttp
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as _generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.metrics import ROUTE_HEADER_BYTES, is_route_template, route_template
from shared.tracing import TraceMiddleware

METRICS_PATH = "/metrics"
# Seconds: from a cached page (~1 ms) to an export or a slow upstream (tens of seconds).
LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip
# The gateway's catch-all proxy route (gateway/proxy_route.py); declared here, below it.
PROXIED_ROUTE = "/api/{service}/{path:path}"

REGISTRY = CollectorRegistry()
REQUEST_DURATION = Histogram(
    "gateway_request_duration_seconds",
    "Time from a request's arrival to the end of its response, per route.",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
UPSTREAM_ERRORS = Counter(
    "gateway_upstream_errors_total",
    "Requests the gateway could not complete with a service, by service and failure kind.",
    ["upstream", "kind"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "gateway_rate_limited_total",
    "Requests refused with 429 by the rate limiter, by limit scope.",
    ["scope"],
    registry=REGISTRY,
)


def note_upstream_error(upstream: str, kind: str) -> None:
    """Count one failed exchange with `upstream` (`kind`: connect, timeout, invalid_response)."""
    UPSTREAM_ERRORS.labels(upstream, kind).inc()


def upstream_error_kind(error: BaseException) -> str:
    """The `kind` label of a transport error: connect, timeout or invalid_response."""
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, aiohttp.ClientConnectorError):
        return "connect"
    return "invalid_response"


def note_rate_limited(scope: str) -> None:
    """Count one request the rate limiter refused (`scope`: e.g. `client`, `token`)."""
    RATE_LIMITED.labels(scope).inc()


def generate_latest() -> bytes:
    """The gateway's metrics in Prometheus' text format."""
    return _generate_latest(REGISTRY)


def _label(scope: Scope, upstream_route: str | None, upstreams: Mapping[str, str]) -> str:
    # FastAPI routes put themselves in the scope; the proxy's plain Starlette route does not.
    template = route_template(scope)
    if template is not None and template != PROXIED_ROUTE:
        return template
    service = scope.get("path_params", {}).get("service")
    if upstream_route is not None or service in upstreams:
        return proxied_route_label(service, upstream_route)
    return "unmatched"


def take_route_header(
    headers: list[tuple[bytes, bytes]],
) -> tuple[list[tuple[bytes, bytes]], str | None]:
    """`headers` without the upstream's `x-ecom-route`, and the route template it named."""
    upstream_route = None
    kept = []
    for name, value in headers:
        if name.lower() == ROUTE_HEADER_BYTES:
            candidate = value.decode("latin-1")
            if is_route_template(candidate):
                upstream_route = candidate
        else:
            kept.append((name, value))
    return kept, upstream_route


def proxied_route_label(service: str, upstream_route: str | None) -> str:
    """The route label of a request proxied to a known `service`."""
    return upstream_route if upstream_route is not None else f"/api/{service}/*"


# The histogram's children by labels: `labels()` takes a lock and validates on every call.
# Bounded as the labels are (route templates, the routed methods, statuses).
_DURATION_CHILDREN: dict[tuple[str, str, int], Histogram] = {}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Record one answered request in the latency histogram."""
    child = _DURATION_CHILDREN.get((route, method, status))
    if child is None:
        child = REQUEST_DURATION.labels(route, method, str(status))
        _DURATION_CHILDREN[(route, method, status)] = child
    child.observe(seconds)


class MetricsMiddleware:
    """Pure ASGI: times every HTTP request and labels it with its route."""

    def __init__(self, app: ASGIApp, upstreams: Mapping[str, str]) -> None:
        self.app = app
        self.upstreams = upstreams

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, timing it; take the upstream's route name off the response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        upstream_route: str | None = None

        async def send_observed(message: Message) -> None:
            nonlocal status, upstream_route
            if message["type"] == "http.response.start":
                status = message["status"]
                kept, upstream_route = take_route_header(message.get("headers", []))
                message = {**message, "headers": kept}
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            route = _label(scope, upstream_route, self.upstreams)
            observe_request(route, scope["method"], status, time.perf_counter() - started)


def install_observability(app: FastAPI, upstreams: Mapping[str, str]) -> None:
    """Add latency metrics, trace propagation and `GET /metrics` to the gateway `app`.

    Call it after the gateway's other middleware is added, so that the histogram (outermost)
    times everything, rejections by inner middleware included.
    """
    app.add_middleware(TraceMiddleware)
    app.add_middleware(MetricsMiddleware, upstreams=upstreams)

    @app.get(
        METRICS_PATH,
        tags=["operations"],
        summary="Prometheus metrics: latency per route, upstream errors, rate-limit rejections",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
    )
    async def metrics(_request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
