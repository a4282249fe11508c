"""The transparency service: `create_app(settings)`."""

from __future__ import annotations

from fastapi import FastAPI

from services.transparency.routes import badges, logistics, metrics, trust_scores
from services.transparency.settings import TransparencySettings
from shared.service import create_service_app


def create_app(settings: TransparencySettings | None = None) -> FastAPI:
    """The transparency API; settings default to the environment."""
    return create_service_app(
        settings or TransparencySettings(),
        title="Transparency service",
        description=(
            "Daily trust scores of distributors, stockists and carriers, their badges, the "
            "logistics SLA view and the headline trust metrics (docs/trust_metrics.md)."
        ),
        routers=[trust_scores.router, badges.router, logistics.router, metrics.router],
    )
