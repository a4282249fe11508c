"""The front door of an app: security headers, CORS, body limits and HEAD/OPTIONS, installed
in that order from the outside in. The server-level limits (header size and count, read
timeouts) are `shared.http_server.server_options`."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from starlette.types import Scope

from shared.cors import Cors
from shared.http_methods import AnswerHeadAndOptions
from shared.http_settings import HttpFrontSettings
from shared.identity import ASSERTION_HEADER, IdentityError, VerifiedTokens
from shared.request_limits import RequestLimits
from shared.security_headers import SecurityHeaders

_ASSERTION_HEADER = ASSERTION_HEADER.encode()


def install_front_door(
    app: FastAPI, settings: HttpFrontSettings, is_anonymous: Callable[[Scope], bool]
) -> None:
    """Wrap `app` in the front-door middleware. Call it after every other `add_middleware`,
    so these run first (Starlette runs the last added outermost)."""
    app.add_middleware(AnswerHeadAndOptions, routes=lambda: app.routes)
    app.add_middleware(RequestLimits, settings=settings, is_anonymous=is_anonymous)
    app.add_middleware(Cors, settings=settings)
    app.add_middleware(SecurityHeaders, settings=settings)


def lacks_gateway_assertion(assertions: VerifiedTokens) -> Callable[[Scope], bool]:
    """For a service: a request is anonymous unless it carries a valid gateway assertion."""

    def is_anonymous(scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == _ASSERTION_HEADER:
                try:
                    assertions.principal(value.decode("latin-1"))
                except (IdentityError, ValueError):
                    return True
                return False
        return True

    return is_anonymous


def install_service_front_door(app: FastAPI, settings: HttpFrontSettings) -> None:
    """The front door of a service, whose callers are identified by the gateway's assertion."""
    install_front_door(app, settings, lacks_gateway_assertion(app.state.assertions))
