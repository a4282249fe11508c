"""Sign-in (paste a token or an API key; one click per role in local mode) and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from console.pages import client_host, console_of, render
from console.screens import Screen
from console.session import (
    authorization_for,
    checked_form,
    clear_credential,
    set_credential,
    stored_authorization,
)
from shared.identity import STAFF_LADDER, Role, issue_token
from shared.problems import ProblemError
from shared.settings import RuntimeMode

router = APIRouter()
SCREEN: Screen | None = None  # not in the nav
# A pasted credential is kept for at most this long; its own expiry ends it sooner at the API.
PASTED_CREDENTIAL_MAX_AGE_S = 12 * 3600
LOCAL_SIGN_IN_TTL_S = 3600
LOCAL_ROLES = tuple(reversed(STAFF_LADDER))  # admin, editor, csr, viewer


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never another origin (`//host`, `/\\host`, a scheme)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _page(
    request: Request, next_path: str, error: str | None = None, status: int = 200
) -> Response:
    local = console_of(request).settings.mode is RuntimeMode.LOCAL
    context = {
        "next": next_path,
        "error": error,
        "local_roles": [role.value for role in LOCAL_ROLES] if local else [],
        "signed_in": stored_authorization(request) is not None,
    }
    return render(request, "sign_in/index.html", context, status=status)


@router.get("/sign-in")
async def sign_in_page(
    request: Request, next_path: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    """The sign-in form."""
    return _page(request, _safe_next(next_path))


def _signed_in(request: Request, authorization: str, max_age: int, next_path: str) -> Response:
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    set_credential(response, request, console_of(request).settings, authorization, max_age)
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """Check the pasted credential with the gateway, then keep it in the cookie."""
    form = await checked_form(request)
    next_path = _safe_next(form.get("next"))
    credential = form.get("credential", "").strip()
    if not credential:
        return _page(request, next_path, "Paste a token or an API key.", status=422)
    authorization = authorization_for(credential)
    try:
        await console_of(request).identify(authorization, client_host(request))
    except ProblemError as error:
        response = _page(request, next_path, error.detail or error.title, status=error.status)
        response.headers.update(error.headers or {})
        return response
    return _signed_in(request, authorization, PASTED_CREDENTIAL_MAX_AGE_S, next_path)


@router.post("/sign-in/local")
async def sign_in_local(request: Request) -> Response:
    """Local mode only: sign in as a role with a short-lived token signed with the local secret."""
    console = console_of(request)
    if console.settings.mode is not RuntimeMode.LOCAL or console.jwt_secret is None:
        raise HTTPException(404, "One-click sign-in exists only in local mode.")
    form = await checked_form(request)
    try:
        role = Role(form.get("role", ""))
    except ValueError:
        return _page(request, "/", "Choose one of the roles shown.", status=422)
    if role not in LOCAL_ROLES:
        return _page(request, "/", "Choose one of the roles shown.", status=422)
    ttl = min(LOCAL_SIGN_IN_TTL_S, console.max_token_ttl_s)
    token = issue_token(console.jwt_secret, role, f"console-{role.value}", ttl_s=ttl)
    return _signed_in(request, f"Bearer {token}", ttl, form.get("next", "/"))


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """Forget the credential and go back to the sign-in page."""
    await checked_form(request)
    response = RedirectResponse("/sign-in", status_code=303)
    clear_credential(response, request, console_of(request).settings)
    return response
