"""The reminders service: `create_app(settings)`."""

from __future__ import annotations

from fastapi import FastAPI

from services.reminders.routes import audit, configurations, csr, events, outbox
from services.reminders.settings import ReminderSettings
from shared.service import create_service_app


def create_app(settings: ReminderSettings | None = None) -> FastAPI:
    """The reminders API; settings default to the environment."""
    return create_service_app(
        settings or ReminderSettings(),
        title="Reminders service",
        description=(
            "Reminder configurations per customer or segment, the notification outbox, "
            "CSR metadata, the analytics event log and the audit log of changes."
        ),
        routers=[configurations.router, outbox.router, csr.router, events.router, audit.router],
    )
