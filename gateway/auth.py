"""Caller authentication: a bearer JWT, an API key, or no credentials at all (anonymous).

Bearer tokens signed HS256 are the platform's own (`ecom token create`); with an OIDC issuer
configured, tokens signed with any other algorithm are checked against its JWKS
(`gateway/oidc.py`). API keys come as `X-API-Key: <key>` or `Authorization: ApiKey <key>` and are
looked up by hash in the key file (`shared/api_keys.py`), re-read when it changes. Every token's
remaining lifetime is bounded by ECOM_MAX_TOKEN_TTL_S, whoever issued it.

Verifying a token and signing an assertion cost about 70 and 30 microseconds: a large share of
the gateway's budget per request. Both results are therefore remembered: a verified token until
it expires, an assertion for half its lifetime (which also lets services reuse their own
verification of it).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Mapping

import aiohttp

from gateway.oidc import CLOCK_SKEW_S, IdentityProviderUnavailableError, OidcVerifier
from gateway.settings import GatewaySettings
from shared.api_keys import ApiKeyVerifier
from shared.identity import (
    ASSERTION_TTL_S,
    DEFAULT_TOKEN_TTL_S,
    IdentityError,
    Principal,
    VerifiedTokens,
    sign_assertion,
    verify_token_until,
)
from shared.problems import ProblemError

logger = logging.getLogger(__name__)

ASSERTION_CACHE_SIZE = 10_000
API_KEY_HEADER = "x-api-key"
CREDENTIAL_FORMS = (
    "`Authorization: Bearer <token>`, `Authorization: ApiKey <key>` or `X-API-Key: <key>`"
)


def _unauthorized(detail: str) -> ProblemError:
    # Only the standard scheme is challenged; the detail names the API key forms as well.
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _signed_with_hs256(token: str) -> bool:
    """Whether a token's header names HS256 (unverified: it only picks the verifier)."""
    encoded = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(header, dict) and header.get("alg") == "HS256"


class Authenticator:
    """Verifies bearer tokens and API keys and signs assertions, remembering recent results."""

    def __init__(
        self,
        jwt_secret: str,
        internal_secret: str,
        clock: Callable[[], float] = time.time,
        *,
        max_token_ttl_s: int = DEFAULT_TOKEN_TTL_S,
        oidc: OidcVerifier | None = None,
        api_keys: ApiKeyVerifier | None = None,
    ) -> None:
        self._clock = clock
        self._internal_secret = internal_secret
        self._max_token_ttl_s = max_token_ttl_s

        def verify_local_token(token: str) -> tuple[Principal, int]:
            principal, expires = verify_token_until(token, jwt_secret)
            if expires > clock() + max_token_ttl_s + CLOCK_SKEW_S:
                raise IdentityError(f"the token is valid for longer than {max_token_ttl_s} s")
            return principal, expires

        self._tokens = VerifiedTokens(verify_local_token, clock=clock)
        self._oidc = oidc
        self._api_keys = api_keys
        self._assertions: dict[Principal, tuple[str, float]] = {}

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> Authenticator:
        """The authenticator every gateway request goes through, as `settings` configure it."""
        oidc = None
        if settings.oidc_jwks_url:
            oidc = OidcVerifier(settings, max_ttl_s=settings.max_token_ttl_s)
        return cls(
            settings.secret("jwt_secret"),
            settings.secret("internal_secret"),
            max_token_ttl_s=settings.max_token_ttl_s,
            oidc=oidc,
            api_keys=ApiKeyVerifier(settings.api_keys_path),
        )

    async def authenticate(
        self, headers: Mapping[str, str], session: aiohttp.ClientSession
    ) -> Principal | None:
        """The caller behind a request's credentials; None without any; 401 if bad.

        Absent credentials are not an error here: the services decide which routes need a
        caller. Presented credentials that fail are, so a typo'd token never silently degrades
        to anonymous. `session` fetches the OIDC issuer's keys when they are needed.
        """
        authorization = (headers.get("authorization") or "").strip()
        api_key = (headers.get(API_KEY_HEADER) or "").strip()
        if authorization and api_key:
            raise _unauthorized(f"Send one credential, not several: {CREDENTIAL_FORMS}.")
        if api_key:
            return self._api_key_principal(api_key)
        if not authorization:
            return None
        scheme, _, credential = authorization.partition(" ")
        credential = credential.strip()
        scheme = scheme.lower()
        if scheme == "apikey" and credential:
            return self._api_key_principal(credential)
        if scheme != "bearer" or not credential:
            raise _unauthorized(f"Send credentials as {CREDENTIAL_FORMS}.")
        try:
            if self._oidc is None or _signed_with_hs256(credential):
                return self._tokens.principal(credential)
            return await self._oidc.principal(credential, session)
        except IdentityError as error:
            # The reason helps operators; the caller only learns that the token was refused.
            logger.info("refused a bearer token: %s", error)
            raise _unauthorized("The bearer token is invalid or has expired.") from None
        except IdentityProviderUnavailableError as error:
            logger.warning("cannot verify a bearer token: %s", error)
            raise ProblemError(
                503,
                "The identity provider cannot be reached; try again shortly.",
                headers={"Retry-After": str(error.retry_after_s)},
            ) from None

    def _api_key_principal(self, key: str) -> Principal:
        principal = self._api_keys.principal(key) if self._api_keys is not None else None
        if principal is None:
            logger.info("refused an API key")
            raise _unauthorized("The API key is unknown or has been revoked.")
        return principal

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
