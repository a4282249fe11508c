"""A raw-socket HTTP/1.1 client for tests about bytes on the wire: oversized or slow requests
that no well-behaved client library would send."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class RawResponse:
    """The first response read from a connection, and whether the server then closed it."""

    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


class RawConnection:
    """One TCP connection; everything the server sends is collected by a reader thread, so a
    server that answers and closes while the client is still sending is observed faithfully."""

    def __init__(self, base_url: str, *, timeout_s: float = 10.0) -> None:
        address = urlsplit(base_url)
        assert address.hostname is not None
        assert address.port is not None
        self.sock = socket.create_connection((address.hostname, address.port), timeout=timeout_s)
        self.received = bytearray()
        self.eof = threading.Event()
        self.bytes_sent = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            while chunk := self.sock.recv(65536):
                self.received += chunk
        except OSError:
            pass
        self.eof.set()

    def send(self, data: bytes) -> bool:
        """Send `data`; False once the server no longer accepts bytes."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        self.bytes_sent += len(data)
        return True

    def send_all(self, chunks: Iterable[bytes]) -> None:
        """Send chunks until they run out or the server stops reading."""
        for chunk in chunks:
            if not self.send(chunk):
                return

    def send_slowly(self, data: bytes, *, every_s: float, until_s: float) -> None:
        """Send `data` a byte at a time, one byte every `every_s`, for at most `until_s`."""
        deadline = time.monotonic() + until_s
        for index in range(len(data)):
            if time.monotonic() > deadline or self.eof.is_set():
                return
            if not self.send(data[index : index + 1]):
                return
            time.sleep(every_s)

    def response(self, *, wait_s: float = 10.0) -> RawResponse:
        """The first complete response (waiting up to `wait_s` for it)."""
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            parsed = _parse(bytes(self.received))
            if parsed is not None:
                status, headers, body = parsed
                closed = self.eof.wait(timeout=0.25)
                return RawResponse(status, headers, body, closed)
            if self.eof.is_set():
                break
            time.sleep(0.01)
        raise AssertionError(f"no complete response; received {bytes(self.received)[:200]!r}")

    def wait_closed(self, wait_s: float) -> bool:
        """Whether the server closed the connection within `wait_s`."""
        return self.eof.wait(timeout=wait_s)

    def close(self) -> None:
        """Close the client's end."""
        self.sock.close()


def _parse(data: bytes) -> tuple[int, dict[str, str], bytes] | None:
    head, separator, rest = data.partition(b"\r\n\r\n")
    if not separator:
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if len(rest) < length:
        return None
    return status, headers, rest[:length]
