"""What every screen uses: the signed-in caller, role checks, and rendering a page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response
from starlette.types import ASGIApp

from console.api import Api, Caller, api_for
from console.screens import Screen
from console.session import csrf_token, ensure_csrf_cookie, stored_authorization
from shared.identity import Principal, Role
from shared.problems import ProblemError
from shared.settings import EcomSettings

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# (Authorization value, client address) -> the caller; a refused credential is a 401
# ProblemError and counts against the address's rate limit, as at the API.
Identify = Callable[[str, str], Awaitable[Principal]]


@dataclass
class Console:
    """What the console app needs from the gateway it is mounted in."""

    settings: EcomSettings
    api_app: ASGIApp  # the gateway app: every API call goes through its front door
    identify: Identify  # the gateway's own check of a credential (401 ProblemError if bad)
    jwt_secret: str | None  # signs the one-click sign-ins of local mode only
    max_token_ttl_s: int
    screens: list[Screen] = field(default_factory=list)


class NotSignedIn(Exception):  # noqa: N818 - a control-flow signal, handled by a redirect
    """The request has no usable credential; the handler sends the browser to sign in."""

    def __init__(self, clear: bool = False) -> None:
        super().__init__("not signed in")
        self.clear = clear


class RoleRequired(Exception):  # noqa: N818 - handled by a 403 page
    """The caller's role may not open this screen."""

    def __init__(self, role: Role) -> None:
        super().__init__(role.value)
        self.role = role


def client_host(request: Request) -> str:
    """The caller's address, as the gateway's rate limit keys it."""
    return request.client.host if request.client else "unknown"


def console_of(request: Request) -> Console:
    """The console state of the app serving `request`."""
    console: Console = request.app.state.console
    return console


async def signed_in(request: Request) -> Caller:
    """The signed-in caller; NotSignedIn (back to sign-in) without a valid credential."""
    authorization = stored_authorization(request)
    if authorization is None:
        raise NotSignedIn
    try:
        principal = await console_of(request).identify(authorization, client_host(request))
    except ProblemError as error:
        if error.status == 401:
            raise NotSignedIn(clear=True) from None
        raise
    request.state.caller = principal
    return Caller(principal, api_for(request, authorization))


CallerDep = Annotated[Caller, Depends(signed_in)]


def require(role: Role) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency: the signed-in caller, who must hold `role` or one above it."""

    async def check(caller: CallerDep) -> Caller:
        if not caller.principal.has_at_least(role):
            raise RoleRequired(role)
        return caller

    return check


def nav_for(request: Request, principal: Principal | None) -> list[dict[str, Any]]:
    """The nav entries `principal` may see, the current one marked."""
    if principal is None:
        return []
    path = request.url.path
    return [
        {
            "path": screen.path,
            "label": screen.label,
            "current": path == screen.path
            or (screen.path != "/" and path.startswith(screen.path + "/")),
        }
        for screen in console_of(request).screens
        if principal.has_at_least(screen.role)
    ]


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> Response:
    """The page `template` with the layout's context: caller, nav, CSRF token, notices."""
    principal: Principal | None = getattr(request.state, "caller", None)
    full = {
        "caller": principal,
        "nav": nav_for(request, principal),
        "csrf_token": csrf_token(request),
        "local_mode": console_of(request).settings.mode.value == "local",
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, full, status_code=status)
    ensure_csrf_cookie(response, request, console_of(request).settings)
    return response


def can(principal: Principal, role: Role) -> bool:
    """Whether `principal` holds `role` or one above it (for hiding what a role may not do)."""
    return principal.has_at_least(role)


templates.env.globals["can"] = can
templates.env.globals["Role"] = Role

__all__ = [
    "Api",
    "Caller",
    "CallerDep",
    "Console",
    "paging",
    "render",
    "require",
    "signed_in",
]


def paging(count: int, limit: int, offset: int) -> dict[str, Any]:
    """Where this page sits in the list: first and last row numbers, previous and next."""
    last = min(offset + limit, count)
    return {
        "first": offset + 1 if count else 0,
        "last": last,
        "count": count,
        "previous": max(offset - limit, 0) if offset > 0 else None,
        "next": offset + limit if offset + limit < count else None,
    }
