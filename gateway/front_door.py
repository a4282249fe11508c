"""The gateway's front door: the shared one, plus a per-client rate limit on proxied calls."""

from __future__ import annotations

import math
from collections.abc import Mapping

import aiohttp
from fastapi import FastAPI
from starlette.types import Scope

from console.session import carries_console_cookie
from gateway.auth import API_KEY_HEADER, Authenticator
from gateway.metrics import note_rate_limited
from gateway.settings import GatewaySettings
from shared.front_door import install_front_door
from shared.identity import Principal
from shared.problems import ProblemError
from shared.rate_limit import TokenBuckets

_CREDENTIAL_HEADERS = frozenset({b"authorization", API_KEY_HEADER.encode()})


def presents_no_credentials(scope: Scope) -> bool:
    """Anonymous at the gateway: no credential header at all (a bad one is a 401 later,
    still before the body is read). A console form outside `/api` carries the console's
    cookies instead; the console checks its CSRF token and credential itself."""
    if any(name in _CREDENTIAL_HEADERS and value for name, value in scope["headers"]):
        return False
    return not carries_console_cookie(scope)


def credentials_of(scope: Scope) -> dict[str, str]:
    """The credential headers of a request (the first of each), as `Authenticator` reads them."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name in _CREDENTIAL_HEADERS:
            found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return found


def client_host_of(scope: Scope) -> str | None:
    """The client address the server established, if it knows one."""
    client = scope.get("client")
    return None if client is None else str(client[0])


class RateLimit:
    """A token bucket per client: the verified caller when there is one, else its address.
    Failed sign-ins are charged to the address, so guessing credentials is throttled too."""

    def __init__(self, buckets: TokenBuckets | None) -> None:
        self.buckets = buckets

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> RateLimit:
        """The limit `settings` name (none when ECOM_RATE_LIMIT_PER_S is 0)."""
        if settings.rate_limit_per_s <= 0:
            return cls(None)
        return cls(TokenBuckets(settings.rate_limit_per_s, settings.rate_limit_burst))

    def admit(self, key: str) -> None:
        """Take a token for `key`, or raise a 429 naming when to retry."""
        if self.buckets is None:
            return
        wait = self.buckets.take(key)
        if wait > 0:
            note_rate_limited(key.split(":", 1)[0])  # `address` or `caller`, never the key
            raise ProblemError(
                429,
                "Too many requests from this client; retry after the time in Retry-After.",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )

    async def authenticate(
        self,
        credentials: Mapping[str, str],
        client_host: str | None,
        authenticator: Authenticator,
        session: aiohttp.ClientSession,
    ) -> Principal | None:
        """The caller (as `Authenticator.authenticate` of the `credentials` headers), once the
        caller's bucket admits it; an unknown `client_host` shares the bucket `unknown`."""
        address = f"address:{'unknown' if client_host is None else client_host}"
        try:
            principal = await authenticator.authenticate(credentials, session)
        except ProblemError:
            self.admit(address)
            raise
        self.admit(f"caller:{principal.role.value}:{principal.sub}" if principal else address)
        return principal


def install_gateway_front_door(app: FastAPI, settings: GatewaySettings) -> RateLimit:
    """Install the shared front door on the gateway and return its rate limit."""
    install_front_door(app, settings, presents_no_credentials)
    return RateLimit.from_settings(settings)
