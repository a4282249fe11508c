"""The shared upstream HTTP client, and how the gateway groups and times its probes of services."""

from __future__ import annotations

import aiohttp

# Generous: every in-flight client request holds one upstream connection (DESIGN.md's benchmark
# drives 50 concurrent clients), and the pool is shared by all services.
UPSTREAM_CONNECTION_LIMIT = 512
# Below uvicorn's default 5 s keep-alive, so the gateway drops an idle connection before the
# service does; otherwise a reused, just-closed connection fails a non-idempotent request.
UPSTREAM_KEEPALIVE_S = 4.0
# Probes (readiness, OpenAPI) must answer well within a load balancer's health-check timeout.
PROBE_TIMEOUT_S = 5.0


def open_upstream_session(timeout_s: float) -> aiohttp.ClientSession:
    """The one client session of the process; call inside the running loop (the lifespan)."""
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=UPSTREAM_CONNECTION_LIMIT, keepalive_timeout=UPSTREAM_KEEPALIVE_S
        ),
        # Bodies are relayed byte for byte; the client negotiated the encoding, not the gateway.
        auto_decompress=False,
        # A shared jar would hand one caller's cookies to the next caller.
        cookie_jar=aiohttp.DummyCookieJar(),
        # Without these aiohttp invents Accept-Encoding (breaking byte-for-byte relay for
        # clients that never asked for gzip), a User-Agent and a Content-Type.
        skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
        # No total limit: a long download that keeps flowing is fine; silence is not.
        timeout=aiohttp.ClientTimeout(
            total=None, connect=timeout_s, sock_connect=timeout_s, sock_read=timeout_s
        ),
    )
    # aiohttp resends PUT and DELETE too when a pooled connection was dead; the gateway retries
    # reads only (gateway/retries.py). There is no public switch for this (aiohttp 3.14).
    session._retry_connection = False
    return session


def services_by_url(upstreams: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Service names grouped by base URL, so a service serving two prefixes is called once."""
    grouped: dict[str, list[str]] = {}
    for name, url in upstreams.items():
        grouped.setdefault(url.rstrip("/"), []).append(name)
    return {url: tuple(names) for url, names in grouped.items()}


def probe_timeout(timeout_s: float) -> aiohttp.ClientTimeout:
    """The timeout of a probe (readiness, OpenAPI): short, whatever the upstream timeout."""
    return aiohttp.ClientTimeout(total=min(PROBE_TIMEOUT_S, timeout_s))
