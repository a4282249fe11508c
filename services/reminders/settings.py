"""Settings of the reminders service."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.owners import Owner
from shared.service import ServiceSettings


class ReminderSettings(ServiceSettings):
    """Reminders service: reminder configurations, the outbox, CSR metadata, analytics events."""

    owner: ClassVar[Owner] = Owner.REMINDERS

    reminders_port: int = Field(default=8004, description="Port the reminders service listens on.")
