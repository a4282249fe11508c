"""Settings of the admin service."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.owners import Owner
from shared.service import ServiceSettings
from shared.settings import ObjectStoreSettings


class AdminSettings(ServiceSettings, ObjectStoreSettings):
    """Admin service: back office, audit, exports, revenue KPIs, and the lake's business
    reports (read only)."""

    owner: ClassVar[Owner] = Owner.ADMIN

    admin_port: int = Field(default=8001, description="Port the admin service listens on.")
    export_max_rows: int = Field(
        default=1_000_000,
        ge=1,
        description="Largest CSV/XLSX export; a larger one is refused, asking for filters.",
    )
    prefect_api_url: str | None = Field(
        default=None,
        description="Prefect API the pipeline actions start deployments on (unset: they 503).",
    )
    prefect_timeout_s: float = Field(
        default=5.0, gt=0, le=60, description="Timeout of each call to the Prefect API."
    )
