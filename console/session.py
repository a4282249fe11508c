"""The console's cookies: the signed-in user's credential and the CSRF token of its forms.

The credential cookie holds the `Authorization` header value the console sends to `/api` for
the user (`Bearer <token>` or `ApiKey <key>`); it is HttpOnly and SameSite=Strict, and Secure
outside local mode. Forms are protected by a double-submit token: a random value in a cookie
of its own that every POST must repeat in its `csrf_token` field (compared in constant time).
SameSite=Strict alone already keeps other sites' forms from carrying the cookies; the token
also covers same-site attackers (another app on a sibling subdomain).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.responses import Response
from starlette.types import Scope

from shared.settings import EcomSettings, RuntimeMode

CREDENTIAL_COOKIE = "ecom_console_credential"
CSRF_COOKIE = "ecom_console_csrf"
CSRF_FIELD = "csrf_token"
_CONSOLE_COOKIES = (CREDENTIAL_COOKIE.encode(), CSRF_COOKIE.encode())


class CsrfError(Exception):
    """A form POST without the matching CSRF token."""


def authorization_for(credential: str) -> str:
    """The `Authorization` value of a pasted credential: an API key (`ecom_...`) or a token."""
    credential = credential.strip()
    for scheme in ("bearer ", "apikey "):
        if credential.lower().startswith(scheme):
            credential = credential[len(scheme) :].strip()
    if credential.startswith("ecom_"):
        return f"ApiKey {credential}"
    return f"Bearer {credential}"


def stored_authorization(request: Request) -> str | None:
    """The signed-in user's `Authorization` value, if the request carries one."""
    value = request.cookies.get(CREDENTIAL_COOKIE)
    return value or None


def _secure(request: Request, settings: EcomSettings) -> bool:
    return settings.mode is not RuntimeMode.LOCAL or request.url.scheme == "https"


def set_credential(
    response: Response, request: Request, settings: EcomSettings, authorization: str, max_age: int
) -> None:
    """Keep `authorization` in the credential cookie for `max_age` seconds."""
    response.set_cookie(
        CREDENTIAL_COOKIE,
        authorization,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request, settings),
    )


def clear_credential(response: Response, request: Request, settings: EcomSettings) -> None:
    """Forget the signed-in user."""
    response.delete_cookie(
        CREDENTIAL_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request, settings),
    )


def csrf_token(request: Request) -> str:
    """The request's CSRF token: the cookie's, or a new one `ensure_csrf_cookie` will set."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and len(existing) >= 32:
        return existing
    token: str | None = getattr(request.state, "new_csrf_token", None)
    if token is None:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf_token = token
    return token


def ensure_csrf_cookie(response: Response, request: Request, settings: EcomSettings) -> None:
    """Set the CSRF cookie if this request minted a token (a page with a form was rendered)."""
    token: str | None = getattr(request.state, "new_csrf_token", None)
    if token is not None:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            path="/",
            httponly=True,
            samesite="strict",
            secure=_secure(request, settings),
        )


async def checked_form(request: Request) -> dict[str, str]:
    """The fields of a URL-encoded form POST, after its CSRF token matched the cookie's."""
    body = (await request.body()).decode("utf-8", errors="replace")
    fields = dict(parse_qsl(body, keep_blank_values=True))
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = fields.pop(CSRF_FIELD, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise CsrfError
    return fields


def carries_console_cookie(scope: Scope) -> bool:
    """Whether a request outside `/api` carries a console cookie: its forms then go to the
    console, which checks their CSRF token and credential itself."""
    if str(scope.get("path", "")).startswith("/api/"):
        return False
    for name, value in scope["headers"]:
        if name == b"cookie" and any(cookie in value for cookie in _CONSOLE_COOKIES):
            return True
    return False
