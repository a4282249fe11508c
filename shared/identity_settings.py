"""Settings of the identity providers: token lifetime, API keys, and an OIDC issuer's JWKS.

The gateway reads all three; `ecom token create` reads the lifetime bound and `ecom apikey ...`
the key file, so each is a small class of its own that a deployable's settings can inherit.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from shared.identity import DEFAULT_TOKEN_TTL_S, Role
from shared.settings import EcomSettings, SettingsError

API_KEYS_FILE = "api-keys.json"


class TokenLifetimeSettings(EcomSettings):
    """The longest lifetime a caller token may have."""

    max_token_ttl_s: int = Field(
        default=DEFAULT_TOKEN_TTL_S,
        gt=0,
        description=(
            "Longest lifetime of a caller token in seconds: `ecom token create --ttl` refuses "
            "more, and the gateway refuses tokens that stay valid longer (ECOM_MAX_TOKEN_TTL_S)."
        ),
    )

    def checked_token_ttl(self, ttl_s: int) -> int:
        """`ttl_s` if it is a lifetime a token may have, else SettingsError saying why."""
        if ttl_s <= 0:
            raise SettingsError(f"--ttl must be a positive number of seconds, not {ttl_s}.")
        if ttl_s > self.max_token_ttl_s:
            raise SettingsError(
                f"--ttl {ttl_s} exceeds the longest token lifetime, {self.max_token_ttl_s} s "
                "(ECOM_MAX_TOKEN_TTL_S)."
            )
        return ttl_s


class ApiKeySettings(EcomSettings):
    """Where the hashed API keys live."""

    api_keys_file: Path | None = Field(
        default=None,
        description=(
            "JSON file of hashed API keys written by `ecom apikey` and read by the gateway "
            "(default ECOM_DATA_DIR/api-keys.json; put it on a volume both can reach)."
        ),
    )

    @property
    def api_keys_path(self) -> Path:
        """The API key file as an absolute path."""
        if self.api_keys_file is not None:
            return self.api_keys_file.expanduser().resolve()
        return self.data_path / API_KEYS_FILE


class OidcSettings(EcomSettings):
    """An OpenID Connect issuer whose RS256/ES256 tokens the gateway accepts besides HS256."""

    oidc_jwks_url: str | None = Field(
        default=None,
        description="JWKS URL of the OIDC issuer (unset: only HS256 tokens and API keys).",
    )
    oidc_issuer: str | None = Field(
        default=None, description="Required `iss` of OIDC tokens (required with the JWKS URL)."
    )
    oidc_audience: str | None = Field(
        default=None, description="Required `aud` of OIDC tokens (required with the JWKS URL)."
    )
    oidc_subject_claim: str = Field(
        default="sub", description="Claim that names the caller (dotted path for nested claims)."
    )
    oidc_role_claim: str = Field(
        default="role",
        description=(
            "Claim holding the caller's role or roles, a string or a list (dotted path, e.g. "
            "`realm_access.roles`); with several, the highest staff role wins."
        ),
    )
    oidc_role_map: dict[str, Role] = Field(
        default_factory=dict,
        description=(
            'Issuer role values to platform roles as JSON, e.g. {"shop-admins": "admin"}; '
            "values not listed count only if they are a platform role's name."
        ),
    )
    oidc_jwks_cache_s: float = Field(
        default=300.0, gt=0, description="Seconds the fetched keys are used before a refetch."
    )
    oidc_jwks_min_refetch_s: float = Field(
        default=30.0,
        ge=0,
        description=(
            "Least seconds between two fetches of the JWKS: a token with an unknown `kid` "
            "refetches once, at most this often, so forged `kid`s cannot flood the issuer."
        ),
    )
    oidc_fetch_timeout_s: float = Field(
        default=5.0, gt=0, description="Seconds a JWKS fetch may take."
    )

    @model_validator(mode="after")
    def _issuer_and_audience_go_with_the_jwks(self) -> OidcSettings:
        if self.oidc_jwks_url and not (self.oidc_issuer and self.oidc_audience):
            raise SettingsError(
                "ECOM_OIDC_ISSUER and ECOM_OIDC_AUDIENCE must be set with ECOM_OIDC_JWKS_URL: "
                "tokens are accepted only from that issuer, for this audience."
            )
        return self
