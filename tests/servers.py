"""ASGI apps served by uvicorn in background threads on loopback, for tests that need sockets."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from shared.http_server import server_options
from shared.http_settings import HttpFrontSettings


def bound_socket() -> socket.socket:
    """A TCP socket bound to a free 127.0.0.1 port (not yet listening)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ThreadedServers:
    """Starts apps under uvicorn, each in its own thread; `stop_all` ends them."""

    def __init__(self) -> None:
        self._running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(self, app: FastAPI) -> str:
        """Serve `app` and return its base URL once it accepts connections."""
        sock = bound_socket()
        port = sock.getsockname()[1]
        # Served as deployed: with the limits of the app's own settings, when it has them.
        settings = getattr(app.state, "settings", None)
        options = server_options(settings) if isinstance(settings, HttpFrontSettings) else {}
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2, **options)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        self._running.append((server, thread))
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return f"http://127.0.0.1:{port}"

    def stop_all(self) -> None:
        """Ask every server to exit and wait for its thread."""
        for server, _ in self._running:
            server.should_exit = True
        for _, thread in self._running:
            thread.join(timeout=10)
        self._running.clear()
