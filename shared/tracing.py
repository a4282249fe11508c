"""W3C Trace Context: every request runs in a trace, and its `traceparent` travels on.

The gateway continues a caller's valid `traceparent` (or starts a trace), opens its own span and
rewrites the header it forwards, so a service's span names the gateway's as its parent. Services
do the same with what the gateway sent. The current trace is in a context variable, and every log
record carries `trace_id` and `span_id` (a `-` outside a request), so one grep finds a request's
lines in the gateway's log and the service's.
"""

from __future__ import annotations

import logging
import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

TRACEPARENT = "traceparent"
_TRACEPARENT_BYTES = TRACEPARENT.encode()
# version-traceid-parentid-flags, lower-case hex (W3C Trace Context, section 3.2).
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


@dataclass(frozen=True)
class TraceContext:
    """One span of a trace: the trace id, this span's id and the trace flags."""

    trace_id: str
    span_id: str
    flags: str = "01"

    def child(self) -> TraceContext:
        """A new span of the same trace, below this one."""
        return TraceContext(self.trace_id, secrets.token_hex(8), self.flags)

    @property
    def traceparent(self) -> str:
        """This span as a `traceparent` header value (version 00)."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


def new_trace() -> TraceContext:
    """The root span of a new, sampled trace."""
    return TraceContext(secrets.token_hex(16), secrets.token_hex(8))


def parse_traceparent(value: str) -> TraceContext | None:
    """The caller's span from a `traceparent` value; None if it is not a valid one.

    Version 00 must be exactly four fields; later versions may append fields (ignored);
    version ff and all-zero ids are invalid.
    """
    match = _TRACEPARENT.fullmatch(value.strip())
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest) or (rest and not rest.startswith("-")):
        return None
    if trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN:
        return None
    return TraceContext(trace_id, span_id, flags)


current_trace: ContextVar[TraceContext | None] = ContextVar("current_trace", default=None)


def _incoming(scope: Scope) -> TraceContext | None:
    values = [value for name, value in scope["headers"] if name == _TRACEPARENT_BYTES]
    if len(values) != 1:  # absent, or repeated (ambiguous): start afresh
        return None
    return parse_traceparent(values[0].decode("latin-1"))


def open_span(scope: Scope) -> TraceContext:
    """This hop's span of the request in `scope`, put in its `traceparent` header and state."""
    parent = _incoming(scope)
    span = parent.child() if parent else new_trace()
    headers = [(name, value) for name, value in scope["headers"] if name != _TRACEPARENT_BYTES]
    headers.append((_TRACEPARENT_BYTES, span.traceparent.encode("latin-1")))
    scope["headers"] = headers  # in place: outer middleware reads `route` from this dict
    state = scope.setdefault("state", {})
    state["trace"] = span
    state["trace_parent"] = parent
    return span


class TraceMiddleware:
    """Pure ASGI: opens this hop's span and puts it in the request's `traceparent` header.

    The rewritten header is what a proxy forwards, so the next hop continues this span; the
    span is also in `scope["state"]["trace"]` (its parent, if any, in `trace_parent`) and in
    `current_trace` for the request's duration.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the wrapped app inside this request's span."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = current_trace.set(open_span(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            current_trace.reset(token)


_factory_installed = False


def install_trace_log_fields() -> None:
    """Give every log record `trace_id` and `span_id` attributes (once per process)."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def record_with_trace(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        span = current_trace.get()
        record.trace_id = span.trace_id if span else "-"
        record.span_id = span.span_id if span else "-"
        return record

    logging.setLogRecordFactory(record_with_trace)
    _factory_installed = True
