"""Loopback servers for identity tests: an issuer's JWKS and an upstream naming its caller."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI, Request
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.settings import GatewaySettings
from shared.identity import ASSERTION_HEADER, IdentityError, verify_assertion
from shared.settings import RuntimeMode

JWT_SECRET = "identity-test-jwt-secret-long-enough-0000"
INTERNAL_SECRET = "identity-test-internal-secret-long-enough"
ISSUER = "https://idp.example.test/realms/shop"
AUDIENCE = "ecom-gateway"


@dataclass
class SigningKey:
    """A private key and the public JWK the issuer publishes for it."""

    kid: str
    algorithm: str
    private_key: Any
    jwk: dict[str, Any]

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        """A token with `claims`, signed by this key and naming its `kid`."""
        return jwt.encode(
            claims, self.private_key, algorithm=self.algorithm, headers={"kid": self.kid, **header}
        )

    def public_pem(self) -> bytes:
        """The public key as PEM: what an algorithm-confusion attacker uses as HMAC secret."""
        pem: bytes = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem


def rsa_key(kid: str) -> SigningKey:
    """A fresh RS256 key; its JWK names no `alg`, so RS256 follows from `kty`."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return SigningKey(kid, "RS256", private, {**jwk, "kid": kid, "use": "sig"})


def ec_key(kid: str) -> SigningKey:
    """A fresh ES256 (P-256) key whose JWK names its `alg`."""
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return SigningKey(kid, "ES256", private, {**jwk, "kid": kid, "alg": "ES256", "use": "sig"})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made_token(header: dict[str, Any], claims: dict[str, Any], hmac_key: bytes | None) -> str:
    """A token PyJWT would refuse to make: HMAC with any bytes as key, or no signature at all."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if hmac_key is None:
        return f"{signing_input}."
    signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


@dataclass
class Issuer:
    """The JWKS endpoint's state: which keys it publishes and how often it was fetched."""

    keys: list[SigningKey] = field(default_factory=list)
    extra_jwks: list[dict[str, Any]] = field(default_factory=list)
    fetches: int = 0

    def app(self) -> Starlette:
        async def jwks(request: Any) -> JSONResponse:
            self.fetches += 1
            return JSONResponse({"keys": [key.jwk for key in self.keys] + self.extra_jwks})

        return Starlette(routes=[Route("/jwks", jwks)])


def whoami_upstream() -> FastAPI:
    """A service that answers with the principal of the gateway's assertion and the headers."""
    app = FastAPI(title="whoami")

    @app.get("/api/admin/whoami")
    async def whoami(request: Request) -> dict[str, Any]:
        assertion = request.headers.get(ASSERTION_HEADER)
        principal: Any = None
        if assertion is not None:
            try:
                principal = verify_assertion(assertion, INTERNAL_SECRET).model_dump(mode="json")
            except IdentityError:
                principal = "invalid"
        return {"principal": principal, "headers": sorted(request.headers.keys())}

    return app


def identity_gateway_settings(
    data_dir: Path, upstream_url: str, **overrides: Any
) -> GatewaySettings:
    """Gateway settings independent of the environment, every service at `upstream_url`."""
    values: dict[str, Any] = {
        "_env_file": None,
        "mode": RuntimeMode.LOCAL,
        "data_dir": data_dir,
        "jwt_secret": SecretStr(JWT_SECRET),
        "internal_secret": SecretStr(INTERNAL_SECRET),
        "log_level": "WARNING",
        **{
            f"{name}_service_url": upstream_url
            for name in ("admin", "loyalty", "transparency", "reminders")
        },
        **overrides,
    }
    return GatewaySettings(**values)
