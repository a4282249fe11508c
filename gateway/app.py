"""The gateway app: one front door that authenticates callers and routes `/api/<service>/...`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import uvicorn
from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from console.app import mount_console
from gateway.access_log import AccessLogMiddleware
from gateway.auth import Authenticator
from gateway.docs import add_docs_routes
from gateway.fast_path import ProxyFastPath
from gateway.front_door import install_gateway_front_door
from gateway.metrics import PROXIED_ROUTE, install_observability
from gateway.openapi_cache import MergedOpenApiCache
from gateway.proxy_route import PROXIED_METHODS, ProxyRoute
from gateway.readiness import readiness_response
from gateway.request_id import RequestIdMiddleware
from gateway.settings import GatewaySettings
from gateway.upstreams import open_upstream_session
from shared.contained_errors import ContainedErrorsMiddleware
from shared.http_server import server_options
from shared.identity import Principal
from shared.log import configure_logging
from shared.problems import (
    ProblemError,
    install_problem_handlers,
    problem_responses,
)

MERGED_OPENAPI_URL = "/api/openapi.json"


def _session(request: Request) -> aiohttp.ClientSession:
    session: aiohttp.ClientSession = request.app.state.upstream_session
    return session


class GatewayApp(FastAPI):
    """FastAPI, except that requests the proxy fast path can serve skip the middleware stack."""

    proxy_fast_path: ProxyFastPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a plain proxied request on the fast path, anything else through the stack."""
        fast_path = self.proxy_fast_path
        if fast_path is not None and scope["type"] == "http":
            service = fast_path.service_of(scope)
            if service is not None:
                await fast_path.serve(scope, receive, send, service)
                return
        await super().__call__(scope, receive, send)


def create_app(settings: GatewaySettings) -> GatewayApp:
    """The gateway for `settings`; its upstream client lives exactly as long as the app."""
    configure_logging(settings.log_level)
    upstreams = settings.upstreams()
    # Read once: validation guarantees both are set, and the hot path should not re-check.
    authenticator = Authenticator.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.upstream_session = open_upstream_session(settings.upstream_timeout_s)
        try:
            yield
        finally:
            await app.state.upstream_session.close()

    app = GatewayApp(
        title="Ecom gateway",
        description="Routes /api/<service>/... to the services; see /api/openapi.json.",
        version="0.1.0",
        lifespan=lifespan,
        # /docs and /redoc show the merged API of every service instead; see below.
        docs_url=None,
        redoc_url=None,
        # A slash redirect would be the gateway's guess at a path; services refuse them too.
        redirect_slashes=False,
    )
    app.state.settings = settings
    install_problem_handlers(app)
    # Innermost of the four: the front door's refusals are contained, logged and carry an id.
    rate_limit = install_gateway_front_door(app, settings)
    app.add_middleware(ContainedErrorsMiddleware)
    app.add_middleware(AccessLogMiddleware)  # inside RequestIdMiddleware: sees the id
    app.add_middleware(RequestIdMiddleware)
    install_observability(app, upstreams)

    @app.get("/healthz", tags=["operations"], summary="The gateway process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Every service is ready (its own /readyz answers 2xx)",
        responses=problem_responses(503),
    )
    async def readyz(request: Request) -> Response:
        return await readiness_response(
            request, _session(request), upstreams, settings.upstream_timeout_s
        )

    merged_documents = MergedOpenApiCache(
        upstreams, timeout_s=settings.upstream_timeout_s, refresh_s=settings.openapi_refresh_s
    )

    @app.get(
        MERGED_OPENAPI_URL,
        tags=["operations"],
        summary="OpenAPI document of every service's routes, merged",
        response_class=Response,
        responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
    )
    async def merged_openapi(request: Request) -> Response:
        merged = await merged_documents.current(_session(request))
        headers = {"ETag": merged.etag, "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == merged.etag:
            return Response(status_code=304, headers=headers)
        return Response(merged.body, media_type="application/json", headers=headers)

    add_docs_routes(app, MERGED_OPENAPI_URL)

    proxy_route = ProxyRoute(
        upstreams, authenticator, rate_limit, lambda: app.state.upstream_session
    )
    # A raw ASGI endpoint: it skips FastAPI's parameter machinery and Starlette's Request.
    app.router.routes.append(
        Route(PROXIED_ROUTE, proxy_route, methods=list(PROXIED_METHODS), include_in_schema=False)
    )
    # Plain proxied requests are served in one pass, before the stack; the rest go through it.
    app.proxy_fast_path = ProxyFastPath(settings, upstreams, proxy_route)

    async def identify(authorization: str, client_host: str) -> Principal:
        try:
            principal = await authenticator.authenticate(
                {"authorization": authorization}, app.state.upstream_session
            )
        except ProblemError:
            rate_limit.admit(f"address:{client_host}")  # guesses are throttled here too
            raise
        if principal is None:
            raise ProblemError(401, "Sign in with a token or an API key.")
        return principal

    # Last: the console answers every path the routes above do not (see console/CONSOLE.md).
    mount_console(
        app,
        settings,
        identify,
        jwt_secret=settings.secret("jwt_secret"),
        max_token_ttl_s=settings.max_token_ttl_s,
    )
    return app


def serve(settings: GatewaySettings) -> None:
    """Run the gateway under uvicorn on `settings.host`:`settings.gateway_port` until stopped."""
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.gateway_port,
        log_level=settings.log_level.lower(),
        log_config=None,  # our handlers (ECOM_LOG_FORMAT) on uvicorn's loggers too
        access_log=False,  # gateway.access logs each request, with its id
        **server_options(settings),
    )
