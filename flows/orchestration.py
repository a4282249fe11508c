"""Prefect flows and deployments. Each flow composes the plain, typed steps of `flows.steps`
through thin tasks that add retries; the run's bookkeeping (lock, run row, summary) is
`flows.runs.locked_run`."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
from prefect import flow, get_client, serve, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy, State
from prefect.deployments import run_deployment
from prefect.deployments.runner import RunnerDeployment
from prefect.runtime import flow_run
from prefect.states import Failed

from flows.back_office import sync_back_office
from flows.bronze import LandedFile, pending_landing_keys
from flows.generator import GenerateRequest, generate
from flows.gold import GoldFlow, MartBuild
from flows.ingest import land_pending_files, load_unloaded_files
from flows.notification_runs import queue_notifications, run_notification_dispatch
from flows.operator_actions import (
    REPLAY_REJECTS,
    RETRY_QUARANTINED_FILE,
    replay_rejects_flow,
    retry_quarantined_file,
)
from flows.pipeline import run_gold_flow
from flows.quarantine import TRANSIENT_ERRORS
from flows.recovery import release_orphaned_slots
from flows.run_summary import PipelineSummary
from flows.runs import flows_dsn, locked_run
from flows.settings import FlowSettings
from flows.silver import BronzeFile, FileOutcome
from flows.steps import gold_step, land_step, load_step, outbox_step
from shared.objectstore import ObjectStore

logger = logging.getLogger(__name__)

QUARANTINED = "Quarantined"  # the state name of a data_pipeline run that quarantined files


async def is_transient_failure(_task: Any, _task_run: Any, state: Any) -> bool:
    """Retry condition: only a failure caused by a transient error (connection loss, I/O
    hiccups) is worth another try; bad data never is."""
    error = await state.aresult(raise_on_failure=False)
    return isinstance(error, TRANSIENT_ERRORS)


RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": [1, 5, 15],
    "retry_condition_fn": is_transient_failure,
    "cache_policy": NO_CACHE,
}


@task(name="land_in_bronze", task_run_name="land {landing_key}", **RETRIES)
async def land_in_bronze(settings: FlowSettings, dsn: str, landing_key: str) -> LandedFile:
    """Prefect task: land one landing file in bronze."""
    return await land_step(settings, dsn, landing_key)


@task(name="land_change_outbox", **RETRIES)
async def land_outbox_in_bronze(settings: FlowSettings, dsn: str) -> list[LandedFile]:
    """Prefect task: land the admin change outbox in bronze and trim what was landed."""
    return await outbox_step(settings, dsn)


@task(name="load_into_silver", task_run_name="load {file.bronze_path}", **RETRIES)
async def load_into_silver(
    settings: FlowSettings, dsn: str, file: BronzeFile, run_id: uuid.UUID
) -> FileOutcome:
    """Prefect task: load one bronze file into silver with its ledger row."""
    return await load_step(settings, dsn, file, run_id)


@task(name="build_gold", **RETRIES)
async def build_gold(
    settings: FlowSettings, dsn: str, run_id: uuid.UUID, full: bool = False
) -> list[MartBuild]:
    """Prefect task: rebuild the marts for what silver changed (all of them when `full`)."""
    return await gold_step(settings, dsn, run_id, full)


@flow(
    name="data_pipeline",
    description="landing and the admin change outbox -> bronze -> silver -> gold",
)
async def data_pipeline() -> str | State:
    """Run the medallion pipeline once and return its summary line; a run that quarantined
    files ends in the failed-type state "Quarantined" naming them and the next step."""
    settings = FlowSettings()
    dsn = flows_dsn(settings)

    async def body(summary: PipelineSummary, connection: asyncpg.Connection) -> None:
        await land_pending_files(settings, dsn, land_in_bronze, summary, connection)
        summary.landed.extend(await land_outbox_in_bronze(settings, dsn))
        await load_unloaded_files(settings, dsn, load_into_silver, summary, connection)
        summary.back_office = await sync_back_office(connection)
        summary.marts = await build_gold(settings, dsn, summary.run_id)

    summary = await locked_run(settings, "incremental", body, flow_run_id=flow_run.get_id())
    line = await _publish_summary(
        summary, "data-pipeline-summary", "Rows per outcome of each file this run loaded"
    )
    if summary.quarantined:
        # Failed-type, so it is red on the dashboard like anything needing a person; its own
        # name tells it from a crash or an error. Everything else of the run is committed.
        return Failed(name=QUARANTINED, message=line)
    return line


async def _publish_summary(
    summary: PipelineSummary, key: str, description: str = "What this run built"
) -> str:
    """Keep the run's table as a Prefect artifact (unless it was skipped); its summary line."""
    if not summary.skipped:
        await acreate_markdown_artifact(
            markdown=summary.as_markdown(), key=key, description=description
        )
    return summary.describe()


@flow(
    name="loyalty_recommendations",
    description="customer summary -> recommendations -> reminder candidates -> notification outbox",
)
async def loyalty_recommendations() -> str:
    """Score recommendations and reminder candidates, then queue their notifications."""
    summary = await run_gold_flow(
        FlowSettings(),
        GoldFlow.LOYALTY_RECOMMENDATIONS,
        after=queue_notifications,
        flow_run_id=flow_run.get_id(),
    )
    return await _publish_summary(summary, "loyalty-recommendations-summary")


@flow(
    name="dispatch_notifications",
    description="notification outbox -> delivery adapter (log, or the webhook)",
)
async def dispatch_notifications() -> str:
    """Deliver the due reminder notifications, respecting quiet hours, with retries."""
    return (await run_notification_dispatch(FlowSettings())).describe()


@flow(
    name="trust_transparency",
    description="trust scores -> logistics SLA and trust metrics",
)
async def trust_transparency() -> str:
    """Rebuild the logistics SLA mart and the headline trust metrics."""
    summary = await run_gold_flow(
        FlowSettings(), GoldFlow.TRUST_TRANSPARENCY, flow_run_id=flow_run.get_id()
    )
    return await _publish_summary(summary, "trust-transparency-summary")


@flow(name="generate_orders", description="Write the next synthetic commerce batch to landing/")
def generate_orders(orders: int | None = None, clean: bool = False) -> str:
    """Generate the next batch (new orders and the events of earlier ones) into landing/."""
    results = generate(FlowSettings(), GenerateRequest(orders=orders, clean=clean))
    return "; ".join(
        f"batch {r.plan.batch_id}: {r.new_orders} new orders, {r.rows} rows in {len(r.files)} files"
        for r in results
    )


DATA_PIPELINE_DEPLOYMENT = "data_pipeline/data-pipeline"
# Files still pending this long after a trigger trigger again (that run may have been cancelled
# by the concurrency limit while another run was busy, or listed landing before they arrived).
RETRIGGER_AFTER_S = 10.0


async def _start_data_pipeline() -> None:
    await run_deployment(DATA_PIPELINE_DEPLOYMENT, timeout=0)  # type: ignore[misc]


async def _trigger_after(minutes: int) -> None:
    await asyncio.sleep(minutes * 60)
    await _start_data_pipeline()


class LandingWatcher:
    """Starts the data pipeline when new landing files appear, so they reach the marts in
    seconds instead of at the next scheduled run.

    A trigger fires once the set of pending landing files has been the same for two polls in a
    row (a batch being written is waited for), and again if files are still pending ten seconds
    later. The deployment's concurrency limit and the pipeline lock keep runs one at a time.
    """

    def __init__(
        self,
        settings: FlowSettings,
        trigger: Callable[[], Awaitable[None]] = _start_data_pipeline,
    ) -> None:
        self.store = ObjectStore.from_settings(settings)
        self.interval = settings.landing_poll_seconds
        self.trigger = trigger
        self._previous: frozenset[str] = frozenset()
        self._triggered: frozenset[str] = frozenset()
        self._triggered_at = 0.0

    async def poll(self) -> bool:
        """Look once; trigger if a settled, not yet triggered set of files is pending."""
        pending = frozenset(await asyncio.to_thread(pending_landing_keys, self.store))
        settled, self._previous = pending == self._previous, pending
        stale = time.monotonic() - self._triggered_at > RETRIGGER_AFTER_S
        if not pending or not settled or (pending == self._triggered and not stale):
            return False
        logger.info("%d new landing file(s): starting data_pipeline", len(pending))
        try:
            await self.trigger()
        except Exception:  # the schedule still runs; the next poll tries again
            logger.warning("could not start data_pipeline; retrying", exc_info=True)
            return False
        self._triggered, self._triggered_at = pending, time.monotonic()
        return True

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            await self.poll()
            await asyncio.sleep(self.interval)


def build_deployments(settings: FlowSettings) -> list[RunnerDeployment]:
    """Every deployment with its schedule and concurrency limit."""
    one_at_a_time = ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
    )
    # `to_deployment` is sync-or-async compatible; called from sync code it returns the object.
    pipeline: RunnerDeployment = data_pipeline.to_deployment(  # type: ignore[assignment]
        name="data-pipeline",
        cron=settings.data_pipeline_schedule,
        concurrency_limit=one_at_a_time,
        description="Medallion pipeline (DATA_PIPELINE_SCHEDULE).",
    )
    generator: RunnerDeployment = generate_orders.to_deployment(  # type: ignore[assignment]
        name="generate-orders",
        interval=timedelta(minutes=settings.generate_interval_minutes),
        concurrency_limit=one_at_a_time,
        description="Synthetic orders into landing/.",
    )
    loyalty: RunnerDeployment = loyalty_recommendations.to_deployment(  # type: ignore[assignment]
        name="loyalty-recommendations",
        cron=settings.loyalty_recommendations_schedule,
        concurrency_limit=one_at_a_time,
        description="Recommendations, reminder candidates, notification outbox"
        " (ECOM_LOYALTY_RECOMMENDATIONS_SCHEDULE).",
    )
    trust: RunnerDeployment = trust_transparency.to_deployment(  # type: ignore[assignment]
        name="trust-transparency",
        cron=settings.trust_transparency_schedule,
        concurrency_limit=one_at_a_time,
        description="Logistics SLA and trust metrics (ECOM_TRUST_TRANSPARENCY_SCHEDULE).",
    )
    dispatch: RunnerDeployment = dispatch_notifications.to_deployment(  # type: ignore[assignment]
        name="dispatch-notifications",
        cron=settings.dispatch_notifications_schedule,
        concurrency_limit=one_at_a_time,
        description="Delivers due notifications (ECOM_DISPATCH_NOTIFICATIONS_SCHEDULE).",
    )
    # Started on demand (the admin API's pipeline actions), never on a schedule.
    replay: RunnerDeployment = replay_rejects_flow.to_deployment(  # type: ignore[assignment]
        name=REPLAY_REJECTS,
        description="Replays open rejects (started by POST /api/admin/pipeline/rejects/replay).",
    )
    retry: RunnerDeployment = retry_quarantined_file.to_deployment(  # type: ignore[assignment]
        name=RETRY_QUARANTINED_FILE,
        description="Retries a quarantined file, then loads it (started by the admin API).",
    )
    return [pipeline, generator, loyalty, trust, dispatch, replay, retry]


async def _recover_slots(deployments: list[RunnerDeployment]) -> None:
    names = [f"{deployment.flow_name}/{deployment.name}" for deployment in deployments]
    async with get_client() as client:
        for line in await release_orphaned_slots(client, names):
            logger.warning("recovered after an abrupt stop: %s", line)


def serve_deployments(settings: FlowSettings, deployments: list[RunnerDeployment]) -> None:
    """Serve `deployments` (the composition root's: `build_deployments` and those that read
    across deployables) with their schedules until interrupted (used by `ecom flows serve`)."""
    # Before serving: no run of ours can be in flight yet, so whatever holds a slot is an orphan.
    asyncio.run(_recover_slots(deployments))
    if settings.data_pipeline_start_offset_minutes:
        # The seed's start offset: a first run shortly after boot, then the cron schedule.
        delay = settings.data_pipeline_start_offset_minutes
        threading.Thread(target=asyncio.run, args=(_trigger_after(delay),), daemon=True).start()
        logger.info(
            "first data_pipeline run in %d minute(s)", settings.data_pipeline_start_offset_minutes
        )
    if settings.landing_poll_seconds:
        watcher = LandingWatcher(settings)
        threading.Thread(target=asyncio.run, args=(watcher.run(),), daemon=True).start()
        logger.info("watching landing/ every %.0f s", settings.landing_poll_seconds)
    serve(*deployments, print_starting_message=True)
