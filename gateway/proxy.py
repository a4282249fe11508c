"""Forwarding one `/api/...` request to its service and relaying the answer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from urllib.parse import quote

import aiohttp
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send
from yarl import URL

from gateway.locations import public_location
from gateway.metrics import note_upstream_error, upstream_error_kind
from gateway.request_id import REQUEST_ID_HEADER
from gateway.retries import send_upstream
from shared.headers import CONTENT_LENGTH_PROBLEM, bounded_decimal
from shared.identity import ASSERTION_HEADER, CLIENT_IDENTITY_HEADERS
from shared.problems import ProblemError

logger = logging.getLogger(__name__)

# Bodies with a declared length up to this size are read whole. DESIGN.md measured aiohttp at
# ~0.98x direct throughput buffered and ~0.65x streamed, so only big or unsized bodies stream.
BUFFER_LIMIT_BYTES = 1024 * 1024
STREAM_CHUNK_BYTES = 64 * 1024

# RFC 9110 section 7.6.1: these describe one connection, not the message, so they never cross
# the proxy; `proxy-*` headers likewise (see `_is_hop_by_hop`). `host` names the gateway, and
# aiohttp writes the upstream's own.
HOP_BY_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "host"}
)
# The gateway sets these itself; a client's copy would be a spoofing vector or a duplicate.
# `expect` is answered by the gateway's own server, so the upstream must not wait for it again.
_REPLACED_REQUEST_HEADERS = frozenset(
    {"expect", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", REQUEST_ID_HEADER}
)
# The gateway's server adds its own `date` and `server`; relaying the upstream's would duplicate
# them. The request id is added by RequestIdMiddleware.
_REPLACED_RESPONSE_HEADERS = frozenset({"date", "server", REQUEST_ID_HEADER})
# Statuses whose responses never have a body, so there is nothing to stream.
_BODILESS_STATUSES = frozenset({204, 304})


def _is_hop_by_hop(name: str) -> bool:
    return name in HOP_BY_HOP_HEADERS or name.startswith("proxy-")


def _connection_listed(values: list[str]) -> set[str]:
    """Header names a `Connection` header declares hop-by-hop (RFC 9110 section 7.6.1)."""
    return {token.strip().lower() for value in values for token in value.split(",")}


# Request headers never copied upstream, as the server hands them over (lower-case bytes).
_DROPPED_REQUEST_HEADERS = frozenset(
    name.encode("latin-1")
    for name in CLIENT_IDENTITY_HEADERS | _REPLACED_REQUEST_HEADERS | HOP_BY_HOP_HEADERS
)


def upstream_request_headers(
    scope: Scope, *, assertion: str | None, request_id: str
) -> list[tuple[str, str]]:
    """The headers sent upstream: the client's minus identity and hop-by-hop ones, plus ours."""
    raw: list[tuple[bytes, bytes]] = scope["headers"]
    listed = _connection_listed(
        [value.decode("latin-1") for name, value in raw if name == b"connection"]
    )
    headers: list[tuple[str, str]] = []
    host: bytes | None = None
    for name, value in raw:
        if name == b"host" and host is None:
            host = value
        if name in _DROPPED_REQUEST_HEADERS or name.startswith(b"proxy-"):
            continue
        text = name.decode("latin-1")
        if text not in listed:
            headers.append((text, value.decode("latin-1")))
    # The client address and scheme as the gateway's server established them: uvicorn honours
    # X-Forwarded-* only from trusted proxies (--forwarded-allow-ips). Services get that one
    # vouched-for address, never a client-written chain whose first entry anyone can forge.
    client = scope.get("client")
    if client is not None:
        headers.append(("x-forwarded-for", client[0]))
    headers.append(("x-forwarded-proto", scope.get("scheme", "http")))
    if host:
        headers.append(("x-forwarded-host", host.decode("latin-1")))
    headers.append((REQUEST_ID_HEADER, request_id))
    if assertion is not None:
        headers.append((ASSERTION_HEADER, assertion))
    return headers


def upstream_url(base_url: str, scope: Scope) -> URL:
    """The upstream URL: same (still percent-encoded) path and query string as received."""
    raw_path: bytes | None = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else quote(scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    target = f"{base_url.rstrip('/')}{path}" + (f"?{query}" if query else "")
    # encoded=True: re-quoting would change what the client sent (e.g. %2F inside a segment).
    return URL(target, encoded=True)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def _received_chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The request body as the server hands it over; ClientDisconnect if the client leaves."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if message["type"] == "http.request":
            if body := message.get("body", b""):
                yield body
            if not message.get("more_body", False):
                return


async def _request_body(scope: Scope, receive: Receive) -> bytes | AsyncIterator[bytes] | None:
    declared_bytes = _header(scope, b"content-length")
    declared = None if declared_bytes is None else declared_bytes.decode("latin-1")
    length = None if declared is None else bounded_decimal(declared)
    if declared is not None and length is None:
        raise ProblemError(400, CONTENT_LENGTH_PROBLEM)
    if length is not None and length <= BUFFER_LIMIT_BYTES:
        return b"".join([chunk async for chunk in _received_chunks(receive)])
    if declared is None and _header(scope, b"transfer-encoding") is None:
        return None
    # The forwarded Content-Length (when there is one) keeps aiohttp from switching to chunked.
    return _received_chunks(receive)


def _response_headers(upstream: aiohttp.ClientResponse) -> list[tuple[bytes, bytes]]:
    listed = _connection_listed(upstream.headers.getall("connection", []))
    kept: list[tuple[bytes, bytes]] = []
    for raw_name, value in upstream.raw_headers:
        name = raw_name.decode("latin-1").lower()
        if not (_is_hop_by_hop(name) or name in listed or name in _REPLACED_RESPONSE_HEADERS):
            if name == "location":
                value = public_location(value, upstream.url)
            kept.append((name.encode("latin-1"), value))
    return kept


def _fits_in_memory(upstream: aiohttp.ClientResponse, method: str) -> bool:
    if method == "HEAD" or upstream.status in _BODILESS_STATUSES:
        return True
    length = upstream.content_length
    return length is not None and length <= BUFFER_LIMIT_BYTES


async def _relay_chunks(upstream: aiohttp.ClientResponse, service: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.content.iter_chunked(STREAM_CHUNK_BYTES):
            yield chunk
    except (aiohttp.ClientError, TimeoutError) as error:
        # The status line is already sent; re-raising aborts the connection so the client sees
        # a truncated transfer instead of a short body that looks complete.
        logger.warning("%s broke off a streamed response: %r", service, error)
        note_upstream_error(service, "stream_broken")
        raise


class UpstreamStreamingResponse(StreamingResponse):
    """A streamed upstream body; the upstream connection is released however the relay ends."""

    def __init__(
        self, upstream: aiohttp.ClientResponse, service: str, headers: list[tuple[bytes, bytes]]
    ) -> None:
        super().__init__(_relay_chunks(upstream, service), status_code=upstream.status)
        self.raw_headers = headers
        self._upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream the body, then release the upstream even if the client went away."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Releasing a half-read response closes that connection instead of pooling it.
            self._upstream.release()


def _upstream_failure(service: str, error: Exception) -> ProblemError:
    """The client-facing problem for a transport error; its text is logged, never returned."""
    logger.warning("upstream %s failed: %r", service, error)
    note_upstream_error(service, upstream_error_kind(error))
    if isinstance(error, TimeoutError):
        return ProblemError(504, f"The {service} service did not answer in time.")
    if isinstance(error, aiohttp.ClientConnectorError):
        return ProblemError(
            503,
            f"The {service} service is unavailable; try again shortly.",
            headers={"Retry-After": "5"},
        )
    return ProblemError(502, f"The {service} service sent an invalid response.")


async def forward(
    scope: Scope,
    receive: Receive,
    send: Send,
    session: aiohttp.ClientSession,
    *,
    service: str,
    base_url: str,
    assertion: str | None,
) -> None:
    """Send the request of `scope` to the service at `base_url` and relay its answer.

    Pure ASGI: failures before the answer starts raise a ProblemError for the caller to render.
    """
    method: str = scope["method"]
    headers = upstream_request_headers(
        scope, assertion=assertion, request_id=scope["state"]["request_id"]
    )
    body = await _request_body(scope, receive)
    try:
        upstream = await send_upstream(
            session,
            method,
            upstream_url(base_url, scope),
            headers=headers,
            body=body,
            # Redirects and their Location belong to the client, not to the gateway.
            allow_redirects=False,
        )
        buffered = _fits_in_memory(upstream, method)
        content = b""
        if buffered:
            try:
                content = await upstream.read()
            finally:
                upstream.release()
    except (aiohttp.ClientError, TimeoutError) as error:
        raise _upstream_failure(service, error) from None
    response_headers = _response_headers(upstream)
    if not buffered:
        await UpstreamStreamingResponse(upstream, service, response_headers)(scope, receive, send)
        return
    await send(
        {"type": "http.response.start", "status": upstream.status, "headers": response_headers}
    )
    await send({"type": "http.response.body", "body": content})
