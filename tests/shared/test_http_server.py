"""The server's own limits, over raw sockets against a real uvicorn: oversized and too many
headers (431) are refused while they arrive, slow clients get 408, idle connections close."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from uvicorn.config import Config
from uvicorn.server import ServerState

from shared.http_server import _LingeringTransport, limited_protocol
from shared.http_settings import HttpFrontSettings
from tests.servers import ThreadedServers
from tests.shared.raw_http import RawConnection

TIMEOUT_S = 0.5
MAX_HEADER_BYTES = 32 * 1024


def limited_app() -> FastAPI:
    app = FastAPI()
    app.state.settings = HttpFrontSettings(
        _env_file=None,
        max_header_bytes=MAX_HEADER_BYTES,
        max_header_count=100,
        header_read_timeout_s=TIMEOUT_S,
        body_read_timeout_s=TIMEOUT_S,
        keep_alive_timeout_s=TIMEOUT_S,
        lingering_close_s=0.5,
    )

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.post("/length")
    async def length(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    servers = ThreadedServers()
    yield servers.start(limited_app())
    servers.stop_all()


def request_head(*headers: str, method: str = "GET", path: str = "/hello") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: test", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_request_within_the_limits_is_served_and_the_connection_kept(base_url: str) -> None:
    connection = RawConnection(base_url)
    connection.send(request_head("X-Fine: " + "a" * 20_000))
    first = connection.response()
    assert (first.status, first.json(), first.closed) == (200, {"hello": "world"}, False)
    connection.received.clear()
    connection.send(request_head())
    assert connection.response().status == 200
    connection.close()


def test_a_64_mb_header_is_refused_with_431_while_memory_stays_bounded(base_url: str) -> None:
    chunk = b"a" * 65536
    tracemalloc.start()
    try:
        connection = RawConnection(base_url)
        connection.send(b"GET /hello HTTP/1.1\r\nHost: test\r\nX-Huge: ")
        connection.send_all(chunk for _ in range(1024))  # 64 MiB, unless the server stops us
        response = connection.response()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    connection.close()

    assert response.status == 431
    assert response.headers["content-type"] == "application/problem+json"
    assert (
        response.json()["detail"]
        == f"The request headers are larger than {MAX_HEADER_BYTES} bytes."
    )
    assert response.closed
    # The server (in this process) never held the header: far below the 64 MiB sent.
    assert peak < 4 * 1024 * 1024, peak


def test_ten_thousand_headers_are_refused_with_431(base_url: str) -> None:
    connection = RawConnection(base_url)
    connection.send(request_head(*(f"X-H{number}: v" for number in range(10_000))))
    response = connection.response()
    connection.close()

    assert response.status == 431
    assert response.json()["detail"] == "Too many request headers: at most 100."
    assert response.closed


def test_a_slowloris_client_gets_408_within_the_header_timeout(base_url: str) -> None:
    connection = RawConnection(base_url)
    started = time.monotonic()
    connection.send_slowly(request_head("X-Slow: " + "s" * 100), every_s=0.05, until_s=5)
    response = connection.response()
    elapsed = time.monotonic() - started
    connection.close()

    assert response.status == 408
    assert response.json()["detail"] == "The request headers did not arrive in time."
    assert response.closed
    assert TIMEOUT_S <= elapsed < TIMEOUT_S + 1.5


def test_a_body_that_stops_arriving_gets_408(base_url: str) -> None:
    connection = RawConnection(base_url)
    connection.send(request_head("Content-Length: 100", method="POST", path="/length"))
    connection.send(b"x" * 10)
    response = connection.response(wait_s=5)
    connection.close()

    assert response.status == 408
    assert response.json()["detail"] == "The request body did not arrive in time."
    assert response.closed


def test_a_connection_that_sends_nothing_is_closed(base_url: str) -> None:
    connection = RawConnection(base_url)
    assert connection.wait_closed(TIMEOUT_S + 1.5)
    assert connection.received == b""


def test_an_idle_keep_alive_connection_is_closed(base_url: str) -> None:
    connection = RawConnection(base_url)
    connection.send(request_head())
    assert connection.response().status == 200
    assert connection.wait_closed(TIMEOUT_S + 1.5)


def test_a_malformed_request_is_a_400_problem(base_url: str) -> None:
    connection = RawConnection(base_url)
    connection.send(b"GET /hello HTTP/1.1\r\nHost: test\r\nBad Header Name: x\r\n\r\n")
    response = connection.response()
    connection.close()

    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 400
    assert response.closed


def test_pipelined_requests_are_both_answered(base_url: str) -> None:
    connection = RawConnection(base_url)
    connection.send(request_head() + request_head())
    deadline = time.monotonic() + 5
    while connection.received.count(b"HTTP/1.1 200") < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    connection.close()

    assert connection.received.count(b"HTTP/1.1 200") == 2


class RecordingTransport(asyncio.Transport):
    """A transport that keeps what was written to it (the socket's side is not under test)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def test_writes_in_one_loop_turn_leave_as_one_send_and_close_sends_them_first() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes], bool]:
        protocol = limited_protocol(HttpFrontSettings(_env_file=None))(
            config=Config(app=limited_app()), server_state=ServerState(), app_state={}
        )
        socket_side = RecordingTransport()
        protocol.transport = socket_side
        transport = _LingeringTransport(protocol, socket_side)
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        transport.write(b"{}")
        before_the_turn_ends = list(socket_side.writes)
        await asyncio.sleep(0)
        transport.write(b"last")
        transport.close()
        return before_the_turn_ends, socket_side.writes, socket_side.closed

    pending, writes, closed = asyncio.run(scenario())
    assert pending == []
    assert writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}", b"last"]
    assert closed
