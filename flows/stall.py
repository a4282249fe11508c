"""A data pipeline that stopped running, told apart from one that has nothing to do.

Every data_pipeline run is recorded in `ops.pipeline_runs`, files or not. When its deployment
stops starting runs (a concurrency slot nobody returns, a scheduler that fails) nothing fails
anywhere: landing files just wait. Counting the scheduled times that passed without a recorded
run makes that visible.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from cronsim import CronSim

from flows.bronze import pending_landing_keys
from flows.settings import FlowSettings
from shared.objectstore import ObjectStore

# Two missed runs, not one: a run may start a little late or be cancelled once by the
# concurrency limit while another is busy.
STALL_AFTER_MISSED_RUNS = 2
# How late a scheduled run may start before it counts as missed.
START_GRACE = timedelta(minutes=1)
MAX_COUNTED = 100_000  # a schedule every minute, for more than two months


@dataclass(frozen=True)
class PipelineStall:
    """The pipeline missed scheduled runs: since when, how many, and what waits meanwhile."""

    last_run_at: datetime | None
    missed_runs: int
    pending_files: int

    def describe(self) -> str:
        """One line for the operator: what is wrong and where to look."""
        since = (
            f"since {self.last_run_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
            if self.last_run_at
            else "at all"
        )
        return (
            f"data_pipeline has not run {since} ({self.missed_runs} scheduled runs missed;"
            f" {self.pending_files} file(s) wait in landing/). The data-pipeline deployment's"
            " runs in the Prefect UI say why."
        )


def missed_runs(schedule: str, since: datetime, now: datetime) -> int:
    """How many times `schedule` (cron, UTC) was due after `since` and over a grace ago."""
    missed = 0
    for due in CronSim(schedule, since.astimezone(UTC)):
        if due > now - START_GRACE or missed == MAX_COUNTED:
            break
        missed += 1
    return missed


async def find_pipeline_stall(
    settings: FlowSettings, dsn: str, watching_since: datetime, now: datetime
) -> PipelineStall | None:
    """The stall of the data pipeline, counted from its last run or `watching_since` (when the
    platform started, if later), or None while it keeps its schedule."""
    connection = await asyncpg.connect(dsn)
    try:
        last_run_at: datetime | None = await connection.fetchval(
            "SELECT max(started_at) FROM ops.pipeline_runs WHERE kind = 'incremental'"
        )
    finally:
        await connection.close()
    since = max(last_run_at, watching_since) if last_run_at else watching_since
    missed = missed_runs(settings.data_pipeline_schedule, since, now)
    if missed < STALL_AFTER_MISSED_RUNS:
        return None
    store = ObjectStore.from_settings(settings)
    pending = await asyncio.to_thread(pending_landing_keys, store)
    return PipelineStall(last_run_at, missed, len(pending))
