"""The console's only way to the services: the public `/api`, called as the signed-in user.

Each call goes in-process through the whole gateway app (httpx over ASGI), carrying the
user's own `Authorization` header, so every front-door check applies to it exactly as to a
call from outside: authentication, rate limit, body limits, the services' role checks. The
console itself holds no identity and no database connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import Request
from starlette.types import ASGIApp, Message

from shared.identity import Principal

_INTERNAL_BASE_URL = "http://gateway.internal"
PAGE_SIZE = 500  # the API's largest page
MAX_ROWS = 5_000  # what `get_all` reads of one list at most
STREAM_QUEUE_MESSAGES = 8  # body chunks a download holds while the browser reads (back-pressure)


class ApiError(Exception):
    """The API answered with an error; `detail` is the problem document's, readable as is."""

    def __init__(self, status: int, title: str, detail: str, errors: list[Any] | None) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []

    @property
    def message(self) -> str:
        """One readable line: the detail, then each field error the API named."""
        parts = [self.detail]
        for error in self.errors:
            if isinstance(error, dict):
                where = ".".join(str(p) for p in error.get("loc", []) if p != "body")
                text = str(error.get("msg", ""))
                parts.append(f"{where}: {text}" if where else text)
        return " ".join(part for part in parts if part)


def _error_of(response: httpx.Response) -> ApiError:
    title = response.reason_phrase or "Error"
    detail = ""
    errors: list[Any] = []
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        title = str(body.get("title") or title)
        detail = str(body.get("detail") or "")
        if isinstance(body.get("errors"), list):
            errors = body["errors"]
    return ApiError(response.status_code, title, detail or title, errors)


@dataclass
class Api:
    """The API as one signed-in user sees it."""

    app: ASGIApp
    authorization: str
    client_host: str
    request_id: str | None = None

    def _client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(
            app=self.app, raise_app_exceptions=False, client=(self.client_host, 0)
        )
        headers = {"Authorization": self.authorization, "Accept": "application/json"}
        if self.request_id:
            headers["X-Request-ID"] = self.request_id
        return httpx.AsyncClient(transport=transport, base_url=_INTERNAL_BASE_URL, headers=headers)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The raw response of `method path` (`path` starts with `/api/`); errors raise ApiError."""
        if not path.startswith("/api/"):
            raise ValueError(f"the console calls only /api, not {path}")
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        async with self._client() as client:
            response = await client.request(method, path, params=clean, json=json, headers=headers)
        if response.status_code >= 400:
            raise _error_of(response)
        return response

    async def get(self, path: str, **params: Any) -> Any:
        """The JSON body of `GET path?params`."""
        return (await self.request("GET", path, params=params)).json()

    async def get_all(self, path: str, **params: Any) -> list[Any]:
        """Every row of a paged list (`data`, `count`), at most MAX_ROWS, 500 a request."""
        rows: list[Any] = []
        max_rows = MAX_ROWS
        while len(rows) < max_rows:
            page = await self.get(path, limit=PAGE_SIZE, offset=len(rows), **params)
            rows.extend(page["data"])
            if not page["data"] or len(rows) >= int(page["count"]):
                break
        return rows[:max_rows]

    async def post(self, path: str, json: Any = None, **params: Any) -> Any:
        """The JSON body (or None) of `POST path` with `json`."""
        response = await self.request("POST", path, params=params, json=json)
        return response.json() if response.content else None

    async def stream(self, path: str, **params: Any) -> Download:
        """`GET path?params` with its body streamed (a CSV or XLSX export); errors raise."""
        return await stream_get(self, path, params)


@dataclass(frozen=True)
class Download:
    """A file the API is sending: its status, headers and body, chunk by chunk as it comes."""

    status: int
    headers: dict[str, str]
    chunks: AsyncIterator[bytes]


async def _body_of(messages: asyncio.Queue[Message | None]) -> AsyncIterator[bytes]:
    while (message := await messages.get()) is not None:
        if message["type"] == "http.response.body":
            if body := message.get("body", b""):
                yield body
            if not message.get("more_body", False):
                return


async def stream_get(api: Api, path: str, params: dict[str, Any]) -> Download:
    """`GET path?params` as `api`'s user, its body streamed as the API sends it (an export).

    httpx's ASGI transport reads a whole body before it answers, so this runs the gateway app
    itself: its messages pass through a small queue, so memory holds a few chunks, never the
    file. An error status raises ApiError (its body is a small problem document); the app stops
    when the reader stops (`aclose` of `chunks`, or the browser going away).
    """
    if not path.startswith("/api/"):
        raise ValueError(f"the console calls only /api, not {path}")
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    headers = [(b"authorization", api.authorization.encode()), (b"host", b"gateway.internal")]
    if api.request_id:
        headers.append((b"x-request-id", api.request_id.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": urlencode(clean).encode(),
        "root_path": "",
        "headers": headers,
        "client": (api.client_host, 0),
        "server": ("gateway.internal", 80),
    }
    messages: asyncio.Queue[Message | None] = asyncio.Queue(maxsize=STREAM_QUEUE_MESSAGES)
    requested, done = asyncio.Event(), asyncio.Event()

    async def receive() -> Message:
        if requested.is_set():
            await done.wait()
            return {"type": "http.disconnect"}
        requested.set()
        return {"type": "http.request", "body": b"", "more_body": False}

    async def run() -> None:
        try:
            await api.app(scope, receive, messages.put)
        finally:
            if not done.is_set():  # the reader is still there: tell it the answer ended
                await messages.put(None)

    task = asyncio.create_task(run())
    start = await messages.get()
    if start is None or start["type"] != "http.response.start":
        done.set()
        with contextlib.suppress(Exception):
            await task
        raise ApiError(502, "Bad Gateway", "The API sent no answer.", None)
    status = int(start["status"])
    answer = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in start.get("headers", [])
    }

    async def chunks() -> AsyncIterator[bytes]:
        try:
            async for chunk in _body_of(messages):
                yield chunk
        finally:
            done.set()
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    body = chunks()
    if status >= 400:
        content = b"".join([chunk async for chunk in body])
        raise _error_of(httpx.Response(status, headers=answer, content=content))
    return Download(status, answer, body)


@dataclass(frozen=True)
class Caller:
    """The signed-in user of a console request and the API as they see it."""

    principal: Principal
    api: Api


def api_for(request: Request, authorization: str) -> Api:
    """The API as the user behind `authorization` sees it, for this console request."""
    console = request.app.state.console
    return Api(
        app=console.api_app,
        authorization=authorization,
        client_host=request.client.host if request.client else "unknown",
        request_id=getattr(request.state, "request_id", None),
    )
