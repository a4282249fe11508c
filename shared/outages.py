"""A database outage is a 503 with `Retry-After`, not a 500 that looks like a bug.

`is_outage` walks an exception's chain (`__cause__`, `__context__` and SQLAlchemy's `orig`)
for a sign that PostgreSQL cannot be reached or is going away: a refused or reset connection
raised through the driver, asyncpg's connection and shutdown errors, SQLAlchemy's
OperationalError/InterfaceError, an invalidated connection, or an exhausted pool.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from types import TracebackType

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from shared.problems import problem_response

RETRY_AFTER_S = 5
OUTAGE_DETAIL = "The database is unavailable; try again shortly."

# asyncpg errors meaning the server is unreachable, refusing or shutting down (SQLSTATE 08, 53300,
# 57P01-57P03); a query cancelled by a statement timeout (57014) is not among them.
_ASYNCPG_OUTAGES: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
)
_SQLALCHEMY_OUTAGES: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,  # the pool had no connection to give within its timeout
)
# Socket-level failures count only when they were raised through the database driver: the
# same ConnectionError from an S3 call is not a database outage.
_SOCKET_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, socket.gaierror, TimeoutError)
_DRIVER_MODULES = ("asyncpg", "sqlalchemy")


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (current.__cause__, current.__context__, getattr(current, "orig", None)):
            if isinstance(linked, BaseException):
                pending.append(linked)


def _raised_through_driver(traceback: TracebackType | None) -> bool:
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if module.split(".", 1)[0] in _DRIVER_MODULES:
            return True
        traceback = traceback.tb_next
    return False


def is_outage(error: BaseException) -> bool:
    """Whether `error` (or anything in its chain) means the database is unavailable."""
    for current in _chain(error):
        if isinstance(current, _ASYNCPG_OUTAGES + _SQLALCHEMY_OUTAGES):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _SOCKET_ERRORS) and _raised_through_driver(current.__traceback__):
            return True
    return False


def outage_response(request: Request | None = None) -> JSONResponse:
    """The 503 problem of a database outage."""
    return problem_response(
        503, OUTAGE_DETAIL, request, headers={"Retry-After": str(RETRY_AFTER_S)}
    )


async def _on_database_error(request: Request, error: Exception) -> JSONResponse:
    if is_outage(error):
        return outage_response(request)
    # Not an outage: a bug, answered 500 by the contained-errors middleware.
    raise error


def install_outage_handlers(app: FastAPI) -> None:
    """Answer database outages raised by `app`'s routes and dependencies with 503."""
    for error_class in (
        sa_exc.SQLAlchemyError,
        asyncpg.exceptions.PostgresError,
        asyncpg.exceptions.InterfaceError,
        OSError,
    ):
        app.add_exception_handler(error_class, _on_database_error)
