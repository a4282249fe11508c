"""Tokens of an OpenID Connect issuer (RS256, ES256, ...), verified with the keys of its JWKS.

Each key decides its own algorithm (its `alg`, else what its `kty` and curve imply) and a token
must name exactly that algorithm: an RS256 key never checks an HS256 signature, which is the
algorithm-confusion attack where the public key is used as an HMAC secret. Symmetric (`oct`)
keys and `alg: none` are never accepted from a JWKS.

The key set is fetched with the gateway's aiohttp session, kept for `oidc_jwks_cache_s`, and
fetched again early when a token names a `kid` the set lacks (the issuer rotated its keys) — at
most once per `oidc_jwks_min_refetch_s`, so a flood of made-up `kid`s cannot hammer the issuer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import aiohttp
import jwt

from shared.identity import STAFF_LADDER, IdentityError, Principal, Role
from shared.identity_settings import OidcSettings

logger = logging.getLogger(__name__)

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
# Tolerated clock difference between the issuer and the gateway for `exp`, `nbf` and `iat`.
CLOCK_SKEW_S = 30
MAX_JWKS_BYTES = 1024 * 1024
VERIFIED_CACHE_SIZE = 10_000


class IdentityProviderUnavailableError(Exception):
    """The issuer's key set cannot be fetched and none is cached: no token can be checked."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def _usable_keys(document: Any) -> dict[str | None, jwt.PyJWK]:
    """The signing keys of a JWKS document by `kid`; unusable entries are skipped and logged."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("the JWKS document has no `keys` list")
    keys: dict[str | None, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK.from_dict(entry)
        except (jwt.PyJWTError, NotImplementedError, ValueError, TypeError) as error:
            logger.warning("skipping JWKS key %r: %s", entry.get("kid"), error)
            continue
        if key.algorithm_name not in ASYMMETRIC_ALGORITHMS:
            logger.warning(
                "skipping JWKS key %r: %s is not an asymmetric algorithm",
                key.key_id,
                key.algorithm_name,
            )
            continue
        keys[key.key_id] = key
    return keys


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class OidcVerifier:
    """Verifies an issuer's tokens against its JWKS; async because a key may need fetching."""

    def __init__(
        self, settings: OidcSettings, *, max_ttl_s: int, clock: Callable[[], float] = time.time
    ) -> None:
        if not (settings.oidc_jwks_url and settings.oidc_issuer and settings.oidc_audience):
            raise ValueError("an OIDC verifier needs the JWKS URL, issuer and audience")
        self._url = settings.oidc_jwks_url
        self._issuer = settings.oidc_issuer
        self._audience = settings.oidc_audience
        self._subject_claim = settings.oidc_subject_claim
        self._role_claim = settings.oidc_role_claim
        self._role_map = settings.oidc_role_map
        self._cache_s = settings.oidc_jwks_cache_s
        self._min_refetch_s = settings.oidc_jwks_min_refetch_s
        self._timeout = aiohttp.ClientTimeout(total=settings.oidc_fetch_timeout_s)
        self._max_ttl_s = max_ttl_s
        self._clock = clock
        self._verified: OrderedDict[str, tuple[Principal, int]] = OrderedDict()
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._fetches = 0  # fetches finished, successful or not
        self._fetching = asyncio.Lock()

    async def _fetch(self, session: aiohttp.ClientSession) -> None:
        self._attempted_at = self._clock()
        try:
            async with session.get(self._url, timeout=self._timeout) as response:
                response.raise_for_status()
                body = await response.content.read(MAX_JWKS_BYTES + 1)
                if len(body) > MAX_JWKS_BYTES:
                    raise ValueError("the JWKS document is larger than 1 MiB")
                keys = _usable_keys(json.loads(body))
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            # Keep the keys we have: an issuer outage must not log everybody out.
            logger.warning("could not fetch the JWKS from %s: %s", self._url, error)
            return
        self._keys = keys
        self._fetched_at = self._attempted_at
        logger.info("fetched %d signing keys from %s", len(keys), self._url)

    def _may_fetch(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._min_refetch_s

    async def _key(self, kid: str | None, session: aiohttp.ClientSession) -> jwt.PyJWK | None:
        now = self._clock()
        stale = self._fetched_at is None or now - self._fetched_at >= self._cache_s
        if (stale or kid not in self._keys) and self._may_fetch(now):
            fetches_before = self._fetches
            async with self._fetching:
                # Requests that waited here while another one fetched use its result.
                if self._fetches == fetches_before:
                    try:
                        await self._fetch(session)
                    finally:
                        self._fetches += 1
        if self._fetched_at is None:
            raise IdentityProviderUnavailableError(
                f"no signing keys could be fetched from {self._url}",
                retry_after_s=max(1, math.ceil(self._min_refetch_s)),
            )
        return self._keys.get(kid)

    async def principal(self, token: str, session: aiohttp.ClientSession) -> Principal:
        """The caller behind an issuer's token, or IdentityError; remembered until it expires."""
        now = self._clock()
        known = self._verified.get(token)
        if known is not None and known[1] > now:
            self._verified.move_to_end(token)
            return known[0]
        principal, expires = await self.verify_until(token, session)
        if expires > now + self._max_ttl_s + CLOCK_SKEW_S:
            raise IdentityError(f"the token is valid for longer than {self._max_ttl_s} s")
        self._verified[token] = (principal, expires)
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    async def verify_until(
        self, token: str, session: aiohttp.ClientSession
    ) -> tuple[Principal, int]:
        """The caller behind an issuer's token and when it expires, or IdentityError."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise IdentityError(str(error)) from error
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in ASYMMETRIC_ALGORITHMS:
            raise IdentityError(f"algorithm {algorithm!r} is not accepted from the issuer")
        kid = header.get("kid")
        key = await self._key(kid if isinstance(kid, str) else None, session)
        if key is None:
            raise IdentityError(f"the issuer has no signing key {kid!r}")
        if algorithm != key.algorithm_name:
            raise IdentityError(f"key {kid!r} signs with {key.algorithm_name}, not {algorithm}")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name],
                audience=self._audience,
                issuer=self._issuer,
                leeway=CLOCK_SKEW_S,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise IdentityError(str(error)) from error
        return self._principal(claims), int(claims["exp"])

    def _principal(self, claims: dict[str, Any]) -> Principal:
        sub = _claim(claims, self._subject_claim)
        if not isinstance(sub, str | int) or isinstance(sub, bool) or not str(sub):
            raise IdentityError(f"claim {self._subject_claim!r} does not name the caller")
        return Principal(sub=str(sub), role=self._role(_claim(claims, self._role_claim)))

    def _role(self, value: Any) -> Role:
        values = value if isinstance(value, list) else [value]
        roles = set()
        for item in values:
            if not isinstance(item, str):
                continue
            if item in self._role_map:
                roles.add(self._role_map[item])
            elif item in Role._value2member_map_:
                roles.add(Role(item))
        staff = [role for role in STAFF_LADDER if role in roles]
        if staff:
            return staff[-1]
        if Role.CUSTOMER in roles:
            return Role.CUSTOMER
        raise IdentityError(f"claim {self._role_claim!r} grants no platform role")
