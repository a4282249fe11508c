"""The pipeline's recorded runs as plain functions: the data pipeline (landing and the admin
change outbox -> bronze -> silver -> gold), a gold flow's marts, and a full rebuild of the marts.
Each runs under the pipeline lock as one recorded run (`flows.runs`).

The Prefect flows in `flows.orchestration` compose the same steps (`flows.steps`) through thin
tasks; tests, benchmarks and the operator actions call these functions directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

import asyncpg

from flows.back_office import sync_back_office
from flows.gold import GoldFlow, build_marts
from flows.gold.checksums import mart_checksums
from flows.gold.marts import MARTS, marts_for
from flows.ingest import land_pending_files, load_unloaded_files
from flows.run_summary import PipelineSummary
from flows.runs import flows_dsn, locked_run
from flows.settings import FlowSettings
from flows.steps import PipelineSteps

GoldHook = Callable[[asyncpg.Connection], Awaitable[str]]
# A scheduled gold flow waits this long for a running pipeline instead of skipping its turn.
GOLD_FLOW_LOCK_WAIT_S = 120.0


async def run_data_pipeline(
    settings: FlowSettings,
    *,
    steps: PipelineSteps | None = None,
    flow_run_id: str | None = None,
) -> PipelineSummary:
    """Land pending files and the admin change outbox, load unloaded bronze into silver,
    rebuild touched marts; `steps` swaps a step (the plain ones by default)."""
    chosen = steps or PipelineSteps()
    dsn = flows_dsn(settings)

    async def body(summary: PipelineSummary, connection: asyncpg.Connection) -> None:
        await land_pending_files(settings, dsn, chosen.land, summary, connection)
        summary.landed.extend(await chosen.outbox(settings, dsn))
        await load_unloaded_files(settings, dsn, chosen.load, summary, connection)
        summary.back_office = await sync_back_office(connection)
        summary.marts = await chosen.gold(settings, dsn, summary.run_id, False)

    return await locked_run(settings, "incremental", body, flow_run_id=flow_run_id)


async def run_gold_flow(
    settings: FlowSettings,
    gold_flow: GoldFlow,
    *,
    after: GoldHook | None = None,
    flow_run_id: str | None = None,
) -> PipelineSummary:
    """Build every mart of `gold_flow` (whole or incrementally, as each declares) as one
    recorded run under the pipeline lock, then run `after` (e.g. the notification hook) on the
    same connection; what the hook did joins the run's summary."""

    async def body(summary: PipelineSummary, connection: asyncpg.Connection) -> None:
        summary.marts = await build_marts(
            connection,
            marts_for(gold_flow),
            summary.run_id,
            settings.base_currency,
            connect=partial(asyncpg.connect, flows_dsn(settings)),
        )
        if after is not None:
            summary.notes.append(await after(connection))

    return await locked_run(
        settings,
        gold_flow.value,
        body,
        flow_run_id=flow_run_id,
        wait_seconds=GOLD_FLOW_LOCK_WAIT_S,
    )


async def rebuild_marts(settings: FlowSettings) -> tuple[PipelineSummary, dict[str, str]]:
    """Rebuild every mart in full from silver as one recorded run; returns the run and each
    mart's content checksum (equal checksums after two rebuilds: the marts are deterministic)."""
    checksums: dict[str, str] = {}

    async def body(summary: PipelineSummary, connection: asyncpg.Connection) -> None:
        summary.back_office = await sync_back_office(connection, full=True)
        summary.marts = await build_marts(
            connection,
            MARTS,
            summary.run_id,
            settings.base_currency,
            full=True,
            connect=partial(asyncpg.connect, flows_dsn(settings)),
        )
        checksums.update(await mart_checksums(connection))

    summary = await locked_run(settings, "rebuild", body, wait_seconds=GOLD_FLOW_LOCK_WAIT_S)
    return summary, checksums
