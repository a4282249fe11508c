"""The console app, mounted by the gateway at `/` after its own routes (`/api`, `/docs`, the
health paths), so it answers every other path."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.api import ApiError
from console.pages import Console, Identify, NotSignedIn, RoleRequired, console_of, render
from console.screens import discover
from console.session import CsrfError, clear_credential
from shared.http_methods import AnswerHeadAndOptions
from shared.problems import ProblemError, problem_response
from shared.settings import EcomSettings

STATIC_PATH = "/static"
API_PREFIX = "/api"
# Scripts and styles only from the console's own files: no inline script, no other origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_NO_STORE = (b"cache-control", b"no-store")


class ConsoleHeaders:
    """Pure ASGI: the console's own CSP and framing headers on each of its responses; pages
    (not static files) are never stored, as they show one user's data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(STATIC_PATH + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in _HEADERS}
                if not static:
                    names.add(_NO_STORE[0])
                kept = [(n, v) for n, v in message.get("headers", []) if n.lower() not in names]
                extra = _HEADERS if static else [*_HEADERS, _NO_STORE]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _sign_in_redirect(request: Request, clear: bool) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    location = "/sign-in" if request.method != "GET" else f"/sign-in?next={quote(target)}"
    response = RedirectResponse(location, status_code=303)
    if clear:
        clear_credential(response, request, console_of(request).settings)
    return response


def create_console(
    settings: EcomSettings,
    api_app: ASGIApp,
    identify: Identify,
    *,
    jwt_secret: str | None,
    max_token_ttl_s: int,
) -> FastAPI:
    """The console app; `api_app` is the gateway whose `/api` it calls as each user."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, redirect_slashes=False)
    console = Console(settings, api_app, identify, jwt_secret, max_token_ttl_s)
    app.state.console = console
    for module in discover():
        app.include_router(module.router)
        if module.SCREEN is not None:
            console.screens.append(module.SCREEN)
    app.mount(STATIC_PATH, StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, error: NotSignedIn) -> Response:
        return _sign_in_redirect(request, error.clear)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> Response:
        if error.status == 401:
            return _sign_in_redirect(request, clear=True)
        context = {"status": error.status, "title": error.title, "message": error.message}
        return render(request, "error.html", context, status=error.status)

    @app.exception_handler(ProblemError)
    async def gateway_problem(request: Request, error: ProblemError) -> Response:
        # The gateway's own refusals while identifying the caller (429, 503).
        context = {"status": error.status, "title": error.title, "message": error.detail or ""}
        response = render(request, "error.html", context, status=error.status)
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(RoleRequired)
    async def role_required(request: Request, error: RoleRequired) -> Response:
        message = f"This screen needs the {error.role.value} role or one above it."
        context = {"status": 403, "title": "Forbidden", "message": message}
        return render(request, "error.html", context, status=403)

    @app.exception_handler(CsrfError)
    async def csrf_refused(request: Request, _error: CsrfError) -> Response:
        message = (
            "The form was refused: its security token is missing or stale. "
            "Reload the page and send it again."
        )
        context = {"status": 403, "title": "Forbidden", "message": message}
        return render(request, "error.html", context, status=403)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if "text/html" not in request.headers.get("accept", ""):
            # Not a browser (a probe, a script): the same problem+json as the API's.
            return problem_response(error.status_code, str(error.detail), request)
        context = {"status": error.status_code, "title": "Error", "message": str(error.detail)}
        return render(request, "error.html", context, status=error.status_code)

    return app


def mount_console(
    gateway: FastAPI,
    settings: EcomSettings,
    identify: Identify,
    *,
    jwt_secret: str | None,
    max_token_ttl_s: int,
) -> None:
    """Serve the console on every path of `gateway` that none of its routes matches.

    The console is the gateway router's fallback rather than a route of its own, so the
    gateway's routes (and what its HEAD/OPTIONS answers and metrics see of them) are unchanged.
    """
    console = create_console(
        settings, gateway, identify, jwt_secret=jwt_secret, max_token_ttl_s=max_token_ttl_s
    )
    routes = console.router.routes
    pages = ConsoleHeaders(AnswerHeadAndOptions(console, routes=lambda: routes))
    not_found = gateway.router.default  # the gateway's own 404 (problem+json)

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            await not_found(scope, receive, send)  # the API's paths stay the API's
        else:
            await pages(scope, receive, send)

    gateway.router.default = fallback
