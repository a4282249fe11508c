"""Settings of the gateway deployable."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from shared.http_settings import HttpFrontSettings, RateLimitSettings
from shared.identity_settings import ApiKeySettings, OidcSettings, TokenLifetimeSettings


class GatewaySettings(
    OidcSettings, ApiKeySettings, TokenLifetimeSettings, HttpFrontSettings, RateLimitSettings
):
    """Where the gateway listens, which secrets it uses and where each service lives."""

    local_secret_fields: ClassVar[tuple[str, ...]] = ("jwt_secret", "internal_secret")

    jwt_secret: SecretStr | None = Field(
        default=None,
        description="HS256 secret that caller bearer tokens are verified with (ECOM_JWT_SECRET).",
    )
    internal_secret: SecretStr | None = Field(
        default=None,
        description=(
            "Shared secret that signs the identity assertions forwarded to the services "
            "(ECOM_INTERNAL_SECRET)."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Interface the gateway listens on.")
    gateway_port: int = Field(default=8000, description="Port the gateway listens on.")
    admin_service_url: str = Field(
        default="http://127.0.0.1:8001", description="Base URL of the admin service."
    )
    loyalty_service_url: str = Field(
        default="http://127.0.0.1:8002", description="Base URL of the loyalty service."
    )
    transparency_service_url: str = Field(
        default="http://127.0.0.1:8003",
        description="Base URL of the transparency service (it also serves /api/trust/...).",
    )
    reminders_service_url: str = Field(
        default="http://127.0.0.1:8004", description="Base URL of the reminders service."
    )
    upstream_timeout_s: float = Field(
        default=30.0,
        description=(
            "Seconds to wait for an upstream to accept a connection or to send the next bytes "
            "of its response."
        ),
    )

    openapi_refresh_s: float = Field(
        default=10.0,
        gt=0,
        description=(
            "Seconds the merged OpenAPI document is served before the services' documents are "
            "checked for changes again (ECOM_OPENAPI_REFRESH_S)."
        ),
    )

    def upstreams(self) -> dict[str, str]:
        """Base URL of the service behind each `/api/<name>/` prefix."""
        return {
            "admin": self.admin_service_url,
            "loyalty": self.loyalty_service_url,
            "transparency": self.transparency_service_url,
            # The transparency service also owns the /api/trust/... routes.
            "trust": self.transparency_service_url,
            "reminders": self.reminders_service_url,
        }
