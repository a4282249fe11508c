"""Gateway observability against real loopback servers: /metrics, per-route latency histograms,
upstream errors, rate-limit rejections, and `traceparent` carried from the client to a service.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from gateway.app import create_app
from gateway.metrics import note_rate_limited
from gateway.settings import GatewaySettings
from shared.identity import Role, issue_token
from shared.metrics import ROUTE_HEADER, RouteHeaderMiddleware
from shared.settings import RuntimeMode
from shared.tracing import TraceMiddleware, current_trace, parse_traceparent
from tests.servers import ThreadedServers, bound_socket

JWT_SECRET = "test-jwt-secret-of-sufficient-length-0123456789"
INTERNAL_SECRET = "test-internal-secret-of-sufficient-length-0123"
CLIENT_TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
upstream_log = logging.getLogger("tests.upstream")


def make_upstream() -> FastAPI:
    """A stand-in service wearing the service middleware that matters here."""
    app = FastAPI()
    app.add_middleware(RouteHeaderMiddleware)
    app.add_middleware(TraceMiddleware)

    @app.get("/api/admin/items/{item_id}")
    async def item(item_id: str, request: Request) -> dict[str, Any]:
        upstream_log.warning("serving item %s", item_id)
        span = current_trace.get()
        return {
            "item": item_id,
            "received": [request.state.trace_parent.traceparent],  # what the gateway sent
            "forwarded": request.headers.getlist("traceparent"),  # what it would send on
            "span": span.traceparent if span else None,
        }

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    servers = ThreadedServers()
    refused = bound_socket()  # bound, never listening: connections are refused
    refused_url = f"http://127.0.0.1:{refused.getsockname()[1]}"
    try:
        service = servers.start(make_upstream())
        settings = GatewaySettings(
            mode=RuntimeMode.LOCAL,
            data_dir=Path(tmp_path_factory.mktemp("gateway")),
            jwt_secret=SecretStr(JWT_SECRET),
            internal_secret=SecretStr(INTERNAL_SECRET),
            log_level="WARNING",
            admin_service_url=service,
            loyalty_service_url=refused_url,
            reminders_service_url=service,
            transparency_service_url=service,
            _env_file=None,
        )
        yield {"gateway": servers.start(create_app(settings)), "service": service}
    finally:
        servers.stop_all()
        refused.close()


@pytest.fixture(scope="module")
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(JWT_SECRET, Role.VIEWER, 'observer')}"}


def scrape(gateway: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the gateway's /metrics, by name and labels."""
    response = httpx.get(f"{gateway}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sample(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_proxied_requests_are_timed_per_service_route_template(
    urls: dict[str, str], auth: dict[str, str]
) -> None:
    labels = {"route": "/api/admin/items/{item_id}", "method": "GET", "status": "200"}
    before = sample(scrape(urls["gateway"]), "gateway_request_duration_seconds_count", **labels)
    for item in ("1", "2", "three"):
        response = httpx.get(f"{urls['gateway']}/api/admin/items/{item}", headers=auth)
        assert response.status_code == 200
        assert ROUTE_HEADER not in response.headers  # internal: used by metrics, then dropped
    samples = scrape(urls["gateway"])
    assert sample(samples, "gateway_request_duration_seconds_count", **labels) == before + 3
    # Histogram buckets are cumulative and end in +Inf, which holds every observation.
    assert sample(
        samples, "gateway_request_duration_seconds_bucket", **labels, le="+Inf"
    ) == sample(samples, "gateway_request_duration_seconds_count", **labels)
    assert sample(samples, "gateway_request_duration_seconds_sum", **labels) > 0


def test_unmatched_paths_do_not_become_labels(urls: dict[str, str], auth: dict[str, str]) -> None:
    for path in ("/api/admin/nothing/here/1", "/api/admin/nothing/here/2", "/api/nosuch/x"):
        assert httpx.get(f"{urls['gateway']}{path}", headers=auth).status_code == 404
    samples = scrape(urls["gateway"])
    routes = {
        dict(labels)["route"]
        for name, labels in samples
        if name == "gateway_request_duration_seconds_count"
    }
    assert "/api/admin/*" in routes
    assert "unmatched" in routes
    assert not any("nothing" in route or "nosuch" in route for route in routes)


def test_gateway_routes_are_labelled_by_their_own_template(urls: dict[str, str]) -> None:
    assert httpx.get(f"{urls['gateway']}/healthz").status_code == 200
    samples = scrape(urls["gateway"])
    labels = {"route": "/healthz", "method": "GET", "status": "200"}
    assert sample(samples, "gateway_request_duration_seconds_count", **labels) >= 1


def test_upstream_errors_are_counted_by_service_and_kind(
    urls: dict[str, str], auth: dict[str, str]
) -> None:
    labels = {"upstream": "loyalty", "kind": "connect"}
    before = sample(scrape(urls["gateway"]), "gateway_upstream_errors_total", **labels)
    response = httpx.get(f"{urls['gateway']}/api/loyalty/anything", headers=auth)
    assert response.status_code == 503
    after = sample(scrape(urls["gateway"]), "gateway_upstream_errors_total", **labels)
    assert after == before + 1


def test_rate_limit_rejections_are_exposed(urls: dict[str, str]) -> None:
    before = sample(scrape(urls["gateway"]), "gateway_rate_limited_total", scope="client")
    note_rate_limited("client")
    note_rate_limited("client")
    after = sample(scrape(urls["gateway"]), "gateway_rate_limited_total", scope="client")
    assert after == before + 2


def test_a_clients_trace_continues_through_the_gateway_to_the_service(
    urls: dict[str, str], auth: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tests.upstream")
    response = httpx.get(
        f"{urls['gateway']}/api/admin/items/7", headers={**auth, "traceparent": CLIENT_TRACE}
    )
    assert response.status_code == 200
    body = response.json()
    [received] = body["received"]
    gateway_span = parse_traceparent(received)
    service_span = parse_traceparent(body["span"])
    client_span = parse_traceparent(CLIENT_TRACE)
    assert gateway_span is not None
    assert service_span is not None
    assert client_span is not None
    # One trace; the gateway opened its own span (the service's parent), not the client's.
    assert gateway_span.trace_id == service_span.trace_id == client_span.trace_id
    assert len({gateway_span.span_id, service_span.span_id, client_span.span_id}) == 3
    # Calls the service makes next carry the service's span.
    assert body["forwarded"] == [body["span"]]
    # The service's log lines carry the trace id.
    logged = [r for r in caplog.records if r.getMessage() == "serving item 7"]
    assert [getattr(record, "trace_id", None) for record in logged] == [client_span.trace_id]


@pytest.mark.parametrize(
    "sent",
    [
        None,
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero parent id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # forbidden version
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",  # upper case
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  # v00 has 4 fields
        "not a traceparent",
    ],
)
def test_a_missing_or_invalid_traceparent_starts_a_new_trace(
    urls: dict[str, str], auth: dict[str, str], sent: str | None
) -> None:
    headers = {**auth, "traceparent": sent} if sent else auth
    response = httpx.get(f"{urls['gateway']}/api/admin/items/8", headers=headers)
    assert response.status_code == 200
    [received] = response.json()["received"]
    span = parse_traceparent(received)
    assert span is not None
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", received)
    if sent:
        assert span.trace_id not in sent.lower()


def test_a_later_version_traceparent_is_continued() -> None:
    later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future"
    parsed = parse_traceparent(later)
    assert parsed is not None
    assert parsed.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
