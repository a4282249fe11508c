"""Identity: caller tokens checked by the gateway, signed assertions checked by the services.

Callers present a bearer JWT to the gateway. The gateway verifies it, drops every identity header
the client sent, and forwards the identity as a short-lived assertion signed with the internal
secret. A service trusts only that assertion; without a valid one the caller is anonymous.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from enum import StrEnum

import jwt
from pydantic import BaseModel, ConfigDict

TOKEN_ISSUER = "ecom"  # noqa: S105 - a claim value, not a secret
TOKEN_AUDIENCE = "ecom-api"  # noqa: S105 - a claim value, not a secret
ASSERTION_AUDIENCE = "ecom-services"
ASSERTION_HEADER = "x-ecom-identity"
ASSERTION_TTL_S = 60
DEFAULT_TOKEN_TTL_S = 12 * 3600

# Headers a client could use to claim an identity; the gateway never forwards them.
CLIENT_IDENTITY_HEADERS = frozenset(
    {
        ASSERTION_HEADER,
        "authorization",
        "x-api-key",
        "x-admin-role",
        "x-user-id",
        "x-user-role",
        "x-role",
        "x-forwarded-user",
        "x-remote-user",
    }
)


class Role(StrEnum):
    """Roles of DESIGN.md's identity table, from least to most staff privilege."""

    CUSTOMER = "customer"
    VIEWER = "viewer"
    CSR = "csr"
    EDITOR = "editor"
    ADMIN = "admin"


# Each staff role includes the ones before it; `customer` stands apart.
STAFF_LADDER = (Role.VIEWER, Role.CSR, Role.EDITOR, Role.ADMIN)


class Principal(BaseModel):
    """A verified caller."""

    model_config = ConfigDict(frozen=True)

    sub: str
    role: Role

    def has_at_least(self, role: Role) -> bool:
        """Whether this caller holds `role` or a staff role above it."""
        if role is Role.CUSTOMER or self.role is Role.CUSTOMER:
            return self.role is role
        return STAFF_LADDER.index(self.role) >= STAFF_LADDER.index(role)


class IdentityError(Exception):
    """A token or assertion is missing, malformed, expired or wrongly signed."""


def issue_token(
    secret: str, role: Role, sub: str, ttl_s: int = DEFAULT_TOKEN_TTL_S, now: float | None = None
) -> str:
    """A caller token (HS256) for `sub` acting as `role`."""
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
        "sub": sub,
        "role": role.value,
        "iat": issued,
        "exp": issued + ttl_s,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def _decode(token: str, secret: str, audience: str) -> tuple[Principal, int]:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=audience,
            issuer=TOKEN_ISSUER,
            options={"require": ["exp", "sub", "aud", "iss"]},
        )
        return Principal(sub=str(claims["sub"]), role=Role(claims["role"])), int(claims["exp"])
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise IdentityError(str(error)) from error


def verify_token_until(token: str, secret: str) -> tuple[Principal, int]:
    """The caller behind a bearer token and when the token expires (epoch s), or IdentityError."""
    return _decode(token, secret, TOKEN_AUDIENCE)


def verify_token(token: str, secret: str) -> Principal:
    """The caller behind a bearer token, or IdentityError."""
    return verify_token_until(token, secret)[0]


def sign_assertion(principal: Principal, internal_secret: str, now: float | None = None) -> str:
    """The assertion the gateway forwards to services for a verified caller."""
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": TOKEN_ISSUER,
        "aud": ASSERTION_AUDIENCE,
        "sub": principal.sub,
        "role": principal.role.value,
        "iat": issued,
        "exp": issued + ASSERTION_TTL_S,
    }
    return jwt.encode(claims, internal_secret, algorithm="HS256")


def verify_assertion_until(assertion: str, internal_secret: str) -> tuple[Principal, int]:
    """The caller named by a gateway assertion and when it expires, or IdentityError."""
    return _decode(assertion, internal_secret, ASSERTION_AUDIENCE)


def verify_assertion(assertion: str, internal_secret: str) -> Principal:
    """The caller named by a gateway assertion, or IdentityError."""
    return verify_assertion_until(assertion, internal_secret)[0]


class VerifiedTokens:
    """Remembers verified tokens until they expire; the same bytes always verify the same way.

    Verifying an HS256 token costs tens of microseconds, a large share of a request's budget
    when the gateway and every service verify one per request.
    """

    def __init__(
        self,
        verify: Callable[[str], tuple[Principal, int]],
        *,
        size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._verify = verify
        self._size = size
        self._clock = clock
        self._known: OrderedDict[str, tuple[Principal, int]] = OrderedDict()

    def principal(self, token: str) -> Principal:
        """The principal of a valid token, or IdentityError."""
        known = self._known.get(token)
        if known is not None and known[1] > self._clock():
            self._known.move_to_end(token)
            return known[0]
        principal, expires = self._verify(token)
        self._known[token] = (principal, expires)
        if len(self._known) > self._size:
            self._known.popitem(last=False)
        return principal
