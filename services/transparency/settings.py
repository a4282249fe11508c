"""Settings of the transparency service."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.owners import Owner
from shared.service import ServiceSettings


class TransparencySettings(ServiceSettings):
    """Transparency service: trust scores, the logistics SLA view, badges and trust metrics."""

    owner: ClassVar[Owner] = Owner.TRANSPARENCY

    transparency_port: int = Field(
        default=8003, description="Port the transparency service listens on."
    )
