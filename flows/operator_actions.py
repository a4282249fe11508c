"""Operator actions as Prefect flows, so the admin API can start them on the orchestrator instead
of doing pipeline work inside a web request: replay open rejects, retry a quarantined file.

Both run under the pipeline lock as recorded runs, like their `ecom pipeline` commands.
"""

from __future__ import annotations

import asyncpg
from prefect import flow
from prefect.runtime import flow_run

from flows.pipeline import run_data_pipeline
from flows.quarantine import retry_quarantined
from flows.replay import replay_rejects
from flows.settings import FlowSettings
from shared.database import asyncpg_dsn, resolve_database_url
from shared.objectstore import ObjectStore
from shared.owners import Owner

REPLAY_REJECTS = "replay-rejects"
RETRY_QUARANTINED_FILE = "retry-quarantined-file"


async def retry_and_load(
    settings: FlowSettings, quarantine_id: int, actor: str, flow_run_id: str | None = None
) -> str:
    """Put quarantined file `quarantine_id` back, then run the data pipeline, which takes it."""
    connection = await asyncpg.connect(asyncpg_dsn(resolve_database_url(settings, Owner.FLOWS)))
    try:
        held = await retry_quarantined(
            connection, ObjectStore.from_settings(settings), quarantine_id, actor
        )
    finally:
        await connection.close()
    summary = await run_data_pipeline(settings, flow_run_id=flow_run_id)
    return f"#{held.quarantine_id} {held.resolution_note}; {summary.describe()}"


@flow(name="replay_rejects", description="Check open rejects again against the current rules")
async def replay_rejects_flow(entity: str | None = None, rule: str | None = None) -> str:
    """Replay the open rejects (of one entity and/or rule); rows that now pass reach silver."""
    return (await replay_rejects(FlowSettings(), entity=entity, rule=rule)).describe()


@flow(name="retry_quarantined_file", description="Put a quarantined file back and load it")
async def retry_quarantined_file(quarantine_id: int, actor: str = "admin-api") -> str:
    """Retry one quarantined file as `actor` and run the pipeline that loads it."""
    return await retry_and_load(FlowSettings(), quarantine_id, actor, flow_run.get_id())
