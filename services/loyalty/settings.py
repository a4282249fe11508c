"""Settings of the loyalty service."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.owners import Owner
from shared.service import ServiceSettings


class LoyaltySettings(ServiceSettings):
    """Loyalty service: customer summaries, recommendations, segments and bundles."""

    owner: ClassVar[Owner] = Owner.LOYALTY

    loyalty_port: int = Field(default=8002, description="Port the loyalty service listens on.")
