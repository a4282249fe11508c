"""Caller authentication: a bearer JWT, or no credentials at all (anonymous).

Verifying a token and signing an assertion cost about 70 and 30 microseconds: a large share of
the gateway's budget per request. Both results are therefore remembered: a verified token until
it expires, an assertion for half its lifetime (which also lets services reuse their own
verification of it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial

from shared.identity import (
    ASSERTION_TTL_S,
    IdentityError,
    Principal,
    VerifiedTokens,
    sign_assertion,
    verify_token_until,
)
from shared.problems import ProblemError

logger = logging.getLogger(__name__)

ASSERTION_CACHE_SIZE = 10_000


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


class Authenticator:
    """Verifies bearer tokens and signs assertions, remembering recent results."""

    def __init__(
        self, jwt_secret: str, internal_secret: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._clock = clock
        self._internal_secret = internal_secret
        self._tokens = VerifiedTokens(partial(verify_token_until, secret=jwt_secret), clock=clock)
        self._assertions: dict[Principal, tuple[str, float]] = {}

    def authenticate(self, authorization: str | None) -> Principal | None:
        """The caller behind an `Authorization` header; None without one; 401 if bad.

        Absent credentials are not an error here: the services decide which routes need a
        caller. Presented credentials that fail are, so a typo'd token never silently degrades
        to anonymous.
        """
        if authorization is None or not authorization.strip():
            return None
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("Send credentials as `Authorization: Bearer <token>`.")
        try:
            return self._tokens.principal(token)
        except IdentityError as error:
            # The reason helps operators; the caller only learns that the token was refused.
            logger.info("refused a bearer token: %s", error)
            raise _unauthorized("The bearer token is invalid or has expired.") from None

    def assertion_for(self, principal: Principal) -> str:
        """A signed assertion for `principal` with at least half its lifetime left."""
        now = self._clock()
        cached = self._assertions.get(principal)
        if cached is not None and cached[1] > now:
            return cached[0]
        if len(self._assertions) >= ASSERTION_CACHE_SIZE:
            self._assertions.clear()
        assertion = sign_assertion(principal, self._internal_secret, now=now)
        self._assertions[principal] = (assertion, now + ASSERTION_TTL_S / 2)
        return assertion
