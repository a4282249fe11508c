"""The environment Prefect needs: offline, its home inside the data directory."""

from __future__ import annotations

import os
from pathlib import Path


def prefect_environment(data_dir: Path, api_url: str | None = None) -> dict[str, str]:
    """Variables for a process that runs Prefect (server, runner or a one-off flow)."""
    env = {
        "PREFECT_HOME": str(data_dir / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_EXTRA_LOGGERS": "flows,shared",
        # Our loggers also run outside flow runs (CLI, tests); there they just log locally.
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "PREFECT_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        "PREFECT_CLI_PROMPT": "false",
        # The flows runner picks up a triggered run within a second, not the default ten.
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def apply_prefect_environment(data_dir: Path) -> None:
    """Configure Prefect for this process before it is imported; explicit user values win."""
    for name, value in prefect_environment(data_dir).items():
        os.environ.setdefault(name, value)
