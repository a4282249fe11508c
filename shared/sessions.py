"""How a service's requests get their database sessions: fairly, and cheaply for reads.

- Every request session passes a `FairGate` with one permit per pooled connection, so
  connections are handed out in arrival order (see shared/fair_gate.py for why).
- The pool has `POOL_SIZE` connections for request sessions plus `POOL_OVERFLOW` more for work
  outside the gate (streamed exports, `/readyz`), so a slow export never starves page reads.
- GET and HEAD requests get sessions on an AUTOCOMMIT view of the same engine: no BEGIN and
  COMMIT round trips around a single SELECT. Their reads are single statements (a list page
  counts its total with a window function), so each one still sees one snapshot.
- No pre-ping: it costs a round trip per checkout, and a dead connection surfaces as a database
  error that the service answers as such.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.database import create_engine
from shared.fair_gate import FairGate

POOL_SIZE = 10
POOL_OVERFLOW = 5
# A request that cannot get a connection within this long is answered 503 + Retry-After.
SESSION_WAIT_S = 30.0
READ_METHODS = frozenset({"GET", "HEAD"})


def open_engine(
    app: FastAPI, database_url: str, *, connect_timeout_s: float | None = None
) -> AsyncEngine:
    """Create the app's engine, its two session factories and its gate (call in the lifespan)."""
    engine = create_engine(
        database_url,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pre_ping=False,
        connect_timeout_s=connect_timeout_s,
    )
    app.state.engine = engine
    app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    app.state.read_sessionmaker = async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
    )
    app.state.session_gate = FairGate(POOL_SIZE, wait_s=SESSION_WAIT_S)
    return engine


@asynccontextmanager
async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The session of one request, admitted through the app's gate."""
    state = request.app.state
    reading = request.method in READ_METHODS
    sessionmaker: async_sessionmaker[AsyncSession] = (
        state.read_sessionmaker if reading else state.sessionmaker
    )
    gate: FairGate = state.session_gate
    async with gate.hold(), sessionmaker() as session:
        yield session
