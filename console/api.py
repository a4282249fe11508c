"""The console's only way to the services: the public `/api`, called as the signed-in user.

Each call goes in-process through the whole gateway app (httpx over ASGI), carrying the
user's own `Authorization` header, so every front-door check applies to it exactly as to a
call from outside: authentication, rate limit, body limits, the services' role checks. The
console itself holds no identity and no database connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request
from starlette.types import ASGIApp

from shared.identity import Principal

_INTERNAL_BASE_URL = "http://gateway.internal"
PAGE_SIZE = 500  # the API's largest page
MAX_ROWS = 5_000  # what `get_all` reads of one list at most


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
