"""The HTTP server every deployable runs: uvicorn's httptools protocol with limits on what a
client may send and how slowly it may send it.

uvicorn accepts headers of any size and count and waits forever for a slow client. These checks
run while bytes arrive, so an oversized header section is refused after at most one read beyond
the limit instead of being buffered whole.
"""

from __future__ import annotations

import asyncio
from asyncio import TimerHandle
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from shared.asgi_problems import raw_problem_response
from shared.http_settings import HttpFrontSettings


@dataclass(frozen=True)
class ConnectionLimits:
    """What one connection may send, and how long it may take."""

    max_header_bytes: int
    max_header_count: int
    header_read_timeout_s: float
    body_read_timeout_s: float
    lingering_close_s: float

    @classmethod
    def from_settings(cls, settings: HttpFrontSettings) -> ConnectionLimits:
        """The limits named by `settings`."""
        return cls(
            max_header_bytes=settings.max_header_bytes,
            max_header_count=settings.max_header_count,
            header_read_timeout_s=settings.header_read_timeout_s,
            body_read_timeout_s=settings.body_read_timeout_s,
            lingering_close_s=settings.lingering_close_s,
        )


class _RefusedError(Exception):
    """Raised from a parser callback to stop parsing; the status is answered."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _LingeringTransport:
    """The transport as a request cycle sees it: closing it lets unread request bytes drain
    first, so a client still sending a refused body reads the answer instead of a reset.

    Writes made in one turn of the event loop leave in one send: uvicorn writes a response's
    status line and headers, then its body, as two writes, which on a small answer costs two
    system calls and two TCP segments (half the gateway's sends, measured with py-spy)."""

    def __init__(self, protocol: LimitedHttpToolsProtocol, transport: asyncio.Transport) -> None:
        self._protocol = protocol
        self._transport = transport
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._protocol.loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        """Send what this turn of the event loop wrote, as one buffer."""
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def close(self) -> None:
        self.flush()
        self._protocol.close_lingering()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol plus header limits (431), read timeouts (408), lingering
    close and problem+json for malformed requests. Subclasses set `limits`."""

    limits: ConnectionLimits

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_header_section = True
        self._header_bytes = 0
        self._unparsed_header_bytes = 0
        self._header_count = 0
        self._read_timer: TimerHandle | None = None
        self._request_bytes_seen = False
        self._body_pending = False
        self._lingering = False

    # Connection events

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_read_timer(self.limits.header_read_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # discarded: the answer is sent and the connection is closing
        self._unset_keepalive_if_required()
        self._request_bytes_seen = True
        was_in_header_section = self._in_header_section
        try:
            self.parser.feed_data(data)
        except _RefusedError as refusal:
            self._refuse(refusal.status, refusal.detail)
            return
        except httptools.HttpParserCallbackError as error:
            cause = error.__context__ or error.__cause__
            if isinstance(cause, _RefusedError):
                self._refuse(cause.status, cause.detail)
            else:
                self._refuse(400, "The request could not be parsed as HTTP/1.1.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            self._refuse(400, "The request could not be parsed as HTTP/1.1.")
            return
        if self._in_header_section:
            # Bytes of a header section still incomplete (an upper bound when this read also
            # finished the previous request): httptools holds them until the line ends.
            if was_in_header_section:
                self._unparsed_header_bytes += len(data)
            else:
                self._unparsed_header_bytes = len(data)
            if self._unparsed_header_bytes > self.limits.max_header_bytes:
                self._refuse(431, self._too_large_detail())
                return
        self._time_the_rest()

    def _time_the_rest(self) -> None:
        """Start the read timer when this read left a request incomplete. Timers start here,
        after parsing, rather than in the parser callbacks: a request that arrives whole in one
        read (nearly all of them) then costs no timer at all."""
        if self._read_timer is not None or self.transport.is_closing():
            return
        if self._in_header_section and self._request_bytes_seen:
            self._arm_read_timer(self.limits.header_read_timeout_s)
        elif self._body_pending:
            self._arm_read_timer(self.limits.body_read_timeout_s)

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "The request could not be parsed as HTTP/1.1.")

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_header_section = True
        self._header_bytes = 0
        self._unparsed_header_bytes = 0
        self._header_count = 0
        self._body_pending = False
        self._request_bytes_seen = True  # also when it follows the previous one in one read

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_header_count:
            raise _RefusedError(
                431, f"Too many request headers: at most {self.limits.max_header_count}."
            )
        self._count_header_bytes(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_header_section = False
        self._cancel_read_timer()
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.scope is self.scope:
            self.cycle.transport = _LingeringTransport(self, self.transport)  # type: ignore[assignment]
        self._body_pending = True  # timed from the end of this read (`_time_the_rest`)

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        self._cancel_read_timer()  # progress: the wait restarts after this read

    def on_message_complete(self) -> None:
        self._body_pending = False
        self._request_bytes_seen = False
        self._cancel_read_timer()
        super().on_message_complete()

    # Refusals, timeouts and closing

    def close_lingering(self, *, unread: bool | None = None) -> None:
        """Close once the request's unread bytes have drained (or the lingering time is up)."""
        if self.transport.is_closing():
            return
        if unread is None:
            unread = self._body_pending
        if not unread or self.limits.lingering_close_s <= 0:
            self.transport.close()
            return
        self._lingering = True
        self._cancel_read_timer()
        self.flow.resume_reading()
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._read_timer = self.loop.call_later(self.limits.lingering_close_s, self.transport.close)

    def _too_large_detail(self) -> str:
        return f"The request headers are larger than {self.limits.max_header_bytes} bytes."

    def _count_header_bytes(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.limits.max_header_bytes:
            raise _RefusedError(431, self._too_large_detail())

    def _refuse(self, status: int, detail: str, *, linger: bool = True) -> None:
        """Answer `status` (unless a response has started) and close the connection."""
        unread = linger and (self._in_header_section or self._body_pending)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and cycle.scope is self.scope:
            # The app is still running for this request: it must stop writing to the socket.
            started = cycle.response_started
            cycle.disconnected = True
            cycle.message_event.set()
            if started:
                self.transport.close()
                return
        if not self.transport.is_closing():
            self.transport.write(raw_problem_response(status, detail))
        self._in_header_section = False
        self.close_lingering(unread=unread)

    def _arm_read_timer(self, seconds: float) -> None:
        self._cancel_read_timer()
        self._read_timer = self.loop.call_later(seconds, self._on_read_timeout)

    def _cancel_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _on_read_timeout(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self._body_pending and self.flow.read_paused:
            # The app has not consumed what arrived: the client is not the slow one.
            self._arm_read_timer(self.limits.body_read_timeout_s)
            return
        if not self._request_bytes_seen and not self._body_pending:
            self.transport.close()  # an idle connection that never asked for anything
            return
        what = "body" if self._body_pending else "headers"
        self._refuse(408, f"The request {what} did not arrive in time.", linger=False)


def limited_protocol(settings: HttpFrontSettings) -> type[LimitedHttpToolsProtocol]:
    """The protocol class enforcing `settings`' limits (uvicorn's `http=` option)."""
    limits = ConnectionLimits.from_settings(settings)
    return type("ConfiguredHttpToolsProtocol", (LimitedHttpToolsProtocol,), {"limits": limits})


def server_options(settings: HttpFrontSettings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config` that apply the limits."""
    return {
        "http": limited_protocol(settings),
        "timeout_keep_alive": settings.keep_alive_timeout_s,
        "server_header": False,
    }
