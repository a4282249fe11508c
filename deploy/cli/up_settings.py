"""How `ecom up` supervises its processes and keeps their logs."""

from __future__ import annotations

from pydantic import Field

from shared.settings import EcomSettings


class UpSettings(EcomSettings):
    """Start-up time, restart policy and log bounds of `ecom up`."""

    startup_timeout_s: float = Field(
        default=240, gt=0, description="How long `ecom up` waits for every component to answer."
    )
    restart_max: int = Field(
        default=5,
        ge=0,
        description="Restarts of one component within ECOM_RESTART_WINDOW_S before `ecom up`"
        " gives up and stops (0: never restart).",
    )
    restart_window_s: float = Field(
        default=300, gt=0, description="The window ECOM_RESTART_MAX counts restarts in."
    )
    log_max_bytes: int = Field(
        default=10_000_000,
        ge=1024,
        description="Size at which a component's log in ECOM_DATA_DIR/logs is rotated.",
    )
    log_backups: int = Field(
        default=3, ge=0, description="Rotated logs kept per component (<name>.log.1, ...)."
    )
