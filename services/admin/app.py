"""The admin service: `create_app(settings)`."""

from __future__ import annotations

from fastapi import FastAPI

from services.admin.routes import audit, back_office, dashboard, kpis, pipeline, reports
from services.admin.settings import AdminSettings
from shared.service import create_service_app


def create_app(settings: AdminSettings | None = None) -> FastAPI:
    """The admin API; settings default to the environment."""
    return create_service_app(
        settings or AdminSettings(),
        title="Admin service",
        description=(
            "Back office, audit log, exports, revenue KPIs, the pipeline's runs and the"
            " latest business report."
        ),
        routers=[
            back_office.products_router,
            back_office.customers_router,
            back_office.orders_router,
            audit.router,
            kpis.router,
            dashboard.router,
            pipeline.router,
            reports.router,
        ],
    )
