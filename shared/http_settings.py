"""Settings of the HTTP front door that the gateway and every service share: limits, timeouts,
CORS and security headers (each an `ECOM_*` variable; see `.env.example`)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import EcomSettings


class HttpFrontSettings(EcomSettings):
    """Limits and answers applied before a request reaches any route."""

    max_header_bytes: int = Field(
        default=32 * 1024,
        ge=1024,
        description=(
            "Largest request line plus headers, in bytes; more is refused with 431 while it "
            "arrives (ECOM_MAX_HEADER_BYTES)."
        ),
    )
    max_header_count: int = Field(
        default=100,
        ge=1,
        description="Most request headers accepted; more is a 431 (ECOM_MAX_HEADER_COUNT).",
    )
    header_read_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description=(
            "Seconds a client has to send a complete request line and headers once it has "
            "connected or started a request; slower clients get 408 (ECOM_HEADER_READ_TIMEOUT_S)."
        ),
    )
    body_read_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description=(
            "Seconds a client may pause between pieces of a request body before it gets 408 "
            "(ECOM_BODY_READ_TIMEOUT_S)."
        ),
    )
    keep_alive_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description=(
            "Seconds an idle keep-alive connection is kept open (ECOM_KEEP_ALIVE_TIMEOUT_S)."
        ),
    )
    lingering_close_s: float = Field(
        default=2.0,
        ge=0,
        description=(
            "After refusing a request whose body is still arriving, seconds to keep reading "
            "(and discarding) so the client sees the answer instead of a reset "
            "(ECOM_LINGERING_CLOSE_S)."
        ),
    )
    max_write_body_bytes: int = Field(
        default=1024 * 1024,
        ge=0,
        description="Largest body of a POST, PUT or PATCH, in bytes (413 above; "
        "ECOM_MAX_WRITE_BODY_BYTES).",
    )
    max_read_body_bytes: int = Field(
        default=8 * 1024,
        ge=0,
        description=(
            "Largest body of any other method (GET, HEAD, DELETE, OPTIONS), in bytes "
            "(ECOM_MAX_READ_BODY_BYTES)."
        ),
    )
    max_body_bytes_by_path: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "Per path prefix body limits overriding the two above, as JSON, e.g. "
            '{"/api/admin/imports": 52428800}; the longest matching prefix wins '
            "(ECOM_MAX_BODY_BYTES_BY_PATH)."
        ),
    )
    refuse_anonymous_writes: bool = Field(
        default=True,
        description=(
            "Answer 401 to a POST, PUT, PATCH or DELETE without an identity before reading its "
            "body (ECOM_REFUSE_ANONYMOUS_WRITES)."
        ),
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description=(
            "Browser origins allowed to call the API cross-origin, as JSON, e.g. "
            '["https://console.example.com"]; empty allows none (ECOM_CORS_ORIGINS).'
        ),
    )
    cors_max_age_s: int = Field(
        default=600,
        ge=0,
        description="Seconds a browser may cache a CORS preflight answer (ECOM_CORS_MAX_AGE_S).",
    )
    hsts_max_age_s: int = Field(
        default=0,
        ge=0,
        description=(
            "Strict-Transport-Security max-age sent on every response; 0 sends none (set it "
            "when TLS terminates in front of the platform; ECOM_HSTS_MAX_AGE_S)."
        ),
    )


class RateLimitSettings(EcomSettings):
    """The gateway's per-client rate limit."""

    rate_limit_per_s: float = Field(
        default=50.0,
        ge=0,
        description=(
            "Requests per second each client (the verified caller, else its address) may make "
            "through the gateway; 0 disables the limit (ECOM_RATE_LIMIT_PER_S)."
        ),
    )
    rate_limit_burst: int = Field(
        default=100,
        ge=1,
        description=(
            "Requests a client may make at once above the steady rate (ECOM_RATE_LIMIT_BURST)."
        ),
    )
