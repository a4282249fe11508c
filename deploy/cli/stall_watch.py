"""`ecom up` says on the console when the data pipeline stops running on schedule."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

STALL_CHECK_S = 60


class PipelineStallWatch:
    """Reports a stalled data pipeline (nothing else fails when a deployment silently stops
    starting runs), again as it goes on, and when it runs again."""

    def __init__(self, data_dir: Path, say: Callable[[str], None]) -> None:
        self.data_dir = data_dir
        self.say = say
        self.since = datetime.now(UTC)
        self.next_check = time.monotonic() + STALL_CHECK_S
        self.reported: str | None = None

    def poll(self, flows_url: str | None) -> None:
        """Check at most once a minute (with the pipeline role's URL, once there is one)."""
        if time.monotonic() < self.next_check or flows_url is None:
            return
        self.next_check = time.monotonic() + STALL_CHECK_S
        from flows.settings import FlowSettings
        from flows.stall import find_pipeline_stall
        from shared.database import asyncpg_dsn

        settings = FlowSettings(data_dir=self.data_dir)
        try:
            stall = asyncio.run(
                find_pipeline_stall(settings, asyncpg_dsn(flows_url), self.since, datetime.now(UTC))
            )
        except (OSError, asyncpg.PostgresError):  # stopping, or the database restarts
            return
        message = stall.describe() if stall else None
        if message and message != self.reported:
            self.say(f"warning: {message}")
        elif message is None and self.reported:
            self.say("data_pipeline runs on schedule again")
        self.reported = message
