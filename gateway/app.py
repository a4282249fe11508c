"""The gateway app: one front door that authenticates callers and routes `/api/<service>/...`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import uvicorn
from fastapi import FastAPI, Request
from starlette.responses import Response

from console.app import mount_console
from gateway.access_log import AccessLogMiddleware
from gateway.auth import Authenticator
from gateway.docs import add_docs_routes
from gateway.front_door import install_gateway_front_door
from gateway.metrics import install_observability
from gateway.openapi_cache import MergedOpenApiCache
from gateway.proxy import forward
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
PROXIED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _session(request: Request) -> aiohttp.ClientSession:
    session: aiohttp.ClientSession = request.app.state.upstream_session
    return session


def create_app(settings: GatewaySettings) -> FastAPI:
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

    app = FastAPI(
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

    async def forward_to_service(request: Request) -> Response:
        service: str = request.path_params["service"]
        base_url = upstreams.get(service)
        if base_url is None:
            raise ProblemError(404, "No service is routed at this path.")
        # A dot segment could be resolved by a normalising hop into another service's routes.
        if any(segment in {".", ".."} for segment in request.url.path.split("/")):
            raise ProblemError(400, "Paths may not contain '.' or '..' segments.")
        principal = await rate_limit.authenticate(request, authenticator, _session(request))
        request.state.principal = principal  # the access log's caller
        return await forward(
            request,
            _session(request),
            service=service,
            base_url=base_url,
            assertion=authenticator.assertion_for(principal) if principal else None,
        )

    # A plain Starlette route: it skips FastAPI's parameter machinery on the hot path.
    app.add_route(
        "/api/{service}/{path:path}",
        forward_to_service,
        methods=PROXIED_METHODS,
        include_in_schema=False,
    )

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
