"""The floor `benchmarks.service_reads` compares against: bare Starlette + asyncpg handlers.

Each handler sends one case's SQL (exactly what the service sends for a default page) through
an asyncpg pool as large as the service's request pool and answers the same JSON shape. No
validation, authentication, metrics or ORM: what is left is the query and JSON encoding.

    python -m benchmarks.bare_reads DATABASE_URL PORT
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.read_cases import CASES, ReadCase
from shared.database import asyncpg_dsn
from shared.pagination import DEFAULT_PAGE_SIZE

# As many connections as a service keeps for request sessions (shared/sessions.py).
POOL_SIZE = 10


def _handler(case: ReadCase) -> Any:
    sql = case.sql

    async def read(request: Request) -> Response:
        pool: asyncpg.Pool = request.app.state.pool
        async with pool.acquire() as connection:
            rows = await connection.fetch(sql)
        data = [dict(row) for row in rows]
        total = data[0].pop("__page_total") if data else 0
        for row in data[1:]:
            del row["__page_total"]
        body = {"data": data, "count": total, "limit": DEFAULT_PAGE_SIZE, "offset": 0}
        return Response(json.dumps(body, default=str), media_type="application/json")

    return read


def create_app(database_url: str) -> Starlette:
    """The bare app: one route per case, at the path the service serves it."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            asyncpg_dsn(database_url), min_size=POOL_SIZE, max_size=POOL_SIZE
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    routes = [Route(case.path, _handler(case)) for case in CASES]
    routes.append(Route("/healthz", lambda _request: Response("ok")))
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    """Serve the bare app on 127.0.0.1:PORT."""
    database_url, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(create_app(database_url), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
