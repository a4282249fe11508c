"""Settings of the admin service."""

from __future__ import annotations

from typing import ClassVar

from shared.owners import Owner
from shared.service import ServiceSettings


class AdminSettings(ServiceSettings):
    """Admin service: back office, audit, exports, revenue KPIs."""

    owner: ClassVar[Owner] = Owner.ADMIN
    default_port: ClassVar[int] = 8001
