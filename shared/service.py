"""What every FastAPI service shares: settings, lifespan, session, identity, health, metrics."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated, ClassVar

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import Field, SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.contained_errors import ContainedErrorsMiddleware
from shared.database import resolve_database_url
from shared.front_door import install_service_front_door
from shared.http_settings import HttpFrontSettings
from shared.identity import (
    ASSERTION_HEADER,
    IdentityError,
    Principal,
    Role,
    VerifiedTokens,
    verify_assertion_until,
)
from shared.log import configure_logging
from shared.metrics import RouteHeaderMiddleware
from shared.migrations import is_at_head
from shared.openapi_schema import RefuseNulCharacters, install_tidy_openapi
from shared.outages import RETRY_AFTER_S, install_outage_handlers
from shared.owners import Owner
from shared.problems import ProblemError, install_problem_handlers, problem_responses
from shared.request_context import RequestContextMiddleware
from shared.sessions import open_engine, request_session
from shared.tracing import TraceMiddleware


class ServiceSettings(HttpFrontSettings):
    """Base of each service's settings class."""

    local_secret_fields: ClassVar[tuple[str, ...]] = ("internal_secret",)
    owner: ClassVar[Owner]

    internal_secret: SecretStr | None = Field(
        default=None, description="Shared secret that signs gateway identity assertions."
    )
    host: str = Field(default="127.0.0.1", description="Interface the service listens on.")


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; the only place that commits (or rolls back)."""
    async with request_session(request) as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# "function" scope: the commit happens before the answer is sent, so a 201 means the row is durable
# and visible to the client's next request (FastAPI's default ends the dependency afterwards).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_engine(request: Request) -> AsyncEngine:
    """The app's engine, for work that outlives the request's session (streamed exports)."""
    engine: AsyncEngine = request.app.state.engine
    return engine


EngineDep = Annotated[AsyncEngine, Depends(get_engine)]


async def get_principal(request: Request) -> Principal | None:
    """The caller named by the gateway's signed assertion; None (anonymous) without one."""
    assertion = request.headers.get(ASSERTION_HEADER)
    if not assertion:
        return None
    assertions: VerifiedTokens = request.app.state.assertions
    try:
        return assertions.principal(assertion)
    except IdentityError:
        return None


def require_role(role: Role, *also: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting callers holding `role` (staff roles include lower ones) or any
    of the roles in `also` (e.g. customers, whom the route then limits to their own rows)."""

    # async on purpose: FastAPI runs plain `def` dependencies in a thread pool, per request.
    async def dependency(request: Request) -> Principal:
        principal = await get_principal(request)
        if principal is None:
            raise ProblemError(
                401,
                "Sign in: send a bearer token through the gateway.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not principal.has_at_least(role) and principal.role not in also:
            raise ProblemError(403, f"This needs the '{role.value}' role.")
        return principal

    return dependency


class _Metrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "Requests served.",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Request latency.",
            ["service", "route"],
            registry=self.registry,
        )
        self.service = service


class _MetricsMiddleware:
    """Counts requests and their latency per route (pure ASGI: nothing buffered)."""

    def __init__(self, app: ASGIApp, metrics: _Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            metrics = self.metrics
            metrics.requests.labels(metrics.service, scope["method"], route, status).inc()
            metrics.latency.labels(metrics.service, route).observe(time.perf_counter() - started)


def _operations_router(settings: ServiceSettings, metrics: _Metrics) -> APIRouter:
    router = APIRouter(tags=["operations"])
    name = settings.owner.value

    @router.get("/healthz", operation_id=f"{name}_get_health", summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        operation_id=f"{name}_get_readiness",
        summary="The database answers and migrations are at head",
        responses=problem_responses(503),
    )
    async def readyz(request: Request) -> dict[str, str]:
        try:
            async with request.app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            at_head = await is_at_head(request.app.state.database_url, settings.owner)
        except Exception as error:
            raise ProblemError(
                503,
                f"Database unreachable: {type(error).__name__}",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            ) from error
        if not at_head:
            raise ProblemError(503, "Migrations are not at head; run `ecom db init`.")
        return {"status": "ready"}

    @router.get(
        "/metrics",
        operation_id=f"{name}_get_metrics",
        summary="Prometheus metrics",
        response_class=Response,
    )
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
) -> FastAPI:
    """A FastAPI app with the shared lifespan, error handling, health and metrics."""
    configure_logging(settings.log_level)
    database_url = resolve_database_url(settings, settings.owner)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = open_engine(app, database_url, connect_timeout_s=settings.db_connect_timeout_s)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        responses=problem_responses(400, 422),
        # A redirect to the slashless path would name this service's own host and port.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.database_url = database_url
    app.state.assertions = VerifiedTokens(
        partial(verify_assertion_until, internal_secret=settings.secret("internal_secret"))
    )
    install_problem_handlers(app)
    install_outage_handlers(app)
    install_tidy_openapi(app)
    metrics = _Metrics(settings.owner.value)
    app.add_middleware(RefuseNulCharacters)
    app.add_middleware(_MetricsMiddleware, metrics=metrics)
    app.add_middleware(RouteHeaderMiddleware)
    app.add_middleware(TraceMiddleware)
    install_service_front_door(app, settings)
    app.add_middleware(RequestContextMiddleware)  # log lines carry the gateway's request id
    # Added last, so outermost: nothing raised inside escapes as a half-closed connection.
    app.add_middleware(ContainedErrorsMiddleware)
    app.include_router(_operations_router(settings, metrics))
    for router in routers:
        app.include_router(router)
    return app
