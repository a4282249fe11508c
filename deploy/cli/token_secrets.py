"""Where `ecom token create` finds the signing secret: the running stack's, never a new one.

A token signed with a secret the gateway does not know is rejected with no hint why, so the
command reads ECOM_JWT_SECRET, else the local secrets `ecom up` keeps in ECOM_DATA_DIR, and
refuses (saying where it looked) when neither exists.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from shared.identity import Role
from shared.settings import LOCAL_SECRETS_FILE, EcomSettings, stored_local_secret


class TokenSecretError(RuntimeError):
    """No signing secret to use; the message says where the command looked."""


class TokenSigningSettings(EcomSettings):
    """Only what signing a token needs; generates nothing."""

    jwt_secret: SecretStr | None = Field(default=None, description="Signs caller tokens (HS256).")


def signing_secret(settings: TokenSigningSettings) -> str:
    """ECOM_JWT_SECRET, else the `jwt_secret` of the data directory's local secrets."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    stored = stored_local_secret(settings.data_path, "jwt_secret")
    if stored is None:
        raise TokenSecretError(
            f"no platform secrets at {settings.data_path / LOCAL_SECRETS_FILE}: run this in the"
            " folder of `ecom up`, or set ECOM_DATA_DIR (or ECOM_JWT_SECRET)"
        )
    return stored.get_secret_value()


def token_subject(role: Role, sub: str | None) -> str:
    """The token's subject: required for customers (their customer id), a label otherwise."""
    if sub:
        return sub
    if role is Role.CUSTOMER:
        raise TokenSecretError("--role customer needs --sub <customer id>")
    return f"local-{role.value}"
