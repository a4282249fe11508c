"""The loyalty service: `create_app(settings)`."""

from __future__ import annotations

from fastapi import FastAPI

from services.loyalty.routes import bundles, customers, recommendations, segments
from services.loyalty.settings import LoyaltySettings
from shared.service import create_service_app


def create_app(settings: LoyaltySettings | None = None) -> FastAPI:
    """The loyalty API; settings default to the environment."""
    return create_service_app(
        settings or LoyaltySettings(),
        title="Loyalty service",
        description=(
            "Customer RFM summaries, segments, ranked product recommendations and the bundled"
            " add-ons per segment (docs/loyalty_scoring.md)."
        ),
        routers=[recommendations.router, customers.router, segments.router, bundles.router],
    )
