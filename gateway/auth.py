"""Caller authentication: a bearer JWT, or no credentials at all (anonymous)."""

from __future__ import annotations

import logging

from shared.identity import IdentityError, Principal, verify_token
from shared.problems import ProblemError

logger = logging.getLogger(__name__)


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def authenticate(authorization: str | None, jwt_secret: str) -> Principal | None:
    """The caller behind an `Authorization` header; None without one; 401 ProblemError if bad.

    Absent credentials are not an error here: the services decide which routes need a caller.
    Presented credentials that fail are, so a typo'd token never silently degrades to anonymous.
    """
    if authorization is None or not authorization.strip():
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Send credentials as `Authorization: Bearer <token>`.")
    try:
        return verify_token(token, jwt_secret)
    except IdentityError as error:
        # The reason helps operators; the caller only learns that the token was refused.
        logger.info("refused a bearer token: %s", error)
        raise _unauthorized("The bearer token is invalid or has expired.") from None
