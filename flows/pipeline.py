"""The data pipeline as plain functions: landing -> bronze -> silver -> gold, one run at a time.

The Prefect flow in `flows.orchestration` runs the same steps wrapped as tasks; tests call
`run_data_pipeline` directly.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from flows.bronze import LandedFile, land_file_in_bronze, pending_landing_keys
from flows.gold import MartBuild, build_mart_daily_revenue
from flows.settings import FlowSettings
from flows.silver import FileOutcome, load_orders_file, unloaded_bronze_files
from shared.database import asyncpg_dsn, resolve_database_url
from shared.objectstore import ObjectStore
from shared.owners import Owner

logger = logging.getLogger(__name__)

PIPELINE_LOCK_KEY = 0x7069706C  # "pipl": one pipeline run per database


class RejectRateExceededError(RuntimeError):
    """Too many rows of a run were rejected; the data upstream needs attention."""


@dataclass
class PipelineSummary:
    """What one pipeline run did."""

    run_id: uuid.UUID
    skipped: bool = False
    landed: list[LandedFile] = field(default_factory=list)
    loaded: list[FileOutcome] = field(default_factory=list)
    marts: list[MartBuild] = field(default_factory=list)

    def total(self, outcome: str) -> int:
        """Sum of one outcome (rows_read, inserted, updated, ...) over the loaded files."""
        return sum(int(getattr(file, outcome)) for file in self.loaded)

    @property
    def reject_rate(self) -> float:
        """Share of the rows read that were rejected."""
        read = self.total("rows_read")
        return self.total("rejected") / read if read else 0.0

    def describe(self) -> str:
        """One line for logs and the CLI."""
        if self.skipped:
            return "skipped: another pipeline run holds the lock"
        return (
            f"landed {sum(f.newly_landed for f in self.landed)} file(s), loaded "
            f"{len(self.loaded)}: read {self.total('rows_read')}, inserted "
            f"{self.total('inserted')}, updated {self.total('updated')}, unchanged "
            f"{self.total('unchanged')}, stale {self.total('stale')}, rejected "
            f"{self.total('rejected')} ({self.reject_rate:.1%}); marts "
            + ", ".join(f"{m.mart}: {len(m.days)} day(s)" for m in self.marts)
        )


LandStep = Callable[[FlowSettings, str, str], Awaitable[LandedFile]]
LoadStep = Callable[[FlowSettings, str, int, str, uuid.UUID], Awaitable[FileOutcome]]
GoldStep = Callable[[FlowSettings, str], Awaitable[list[MartBuild]]]


async def land_step(settings: FlowSettings, dsn: str, landing_key: str) -> LandedFile:
    """Land one landing file in bronze."""
    connection = await asyncpg.connect(dsn)
    try:
        return await land_file_in_bronze(
            ObjectStore.from_settings(settings), connection, landing_key
        )
    finally:
        await connection.close()


async def load_step(
    settings: FlowSettings, dsn: str, bronze_file_id: int, bronze_key: str, run_id: uuid.UUID
) -> FileOutcome:
    """Load one bronze file into silver with its ledger row."""
    connection = await asyncpg.connect(dsn)
    try:
        return await load_orders_file(
            connection,
            ObjectStore.from_settings(settings),
            bronze_file_id=bronze_file_id,
            bronze_key=bronze_key,
            run_id=run_id,
            base_currency=settings.base_currency,
        )
    finally:
        await connection.close()


async def gold_step(settings: FlowSettings, dsn: str) -> list[MartBuild]:
    """Rebuild the marts for the days silver changed."""
    connection = await asyncpg.connect(dsn)
    try:
        return [await build_mart_daily_revenue(connection, settings.base_currency)]
    finally:
        await connection.close()


@dataclass(frozen=True)
class PipelineSteps:
    """The three steps, swappable so Prefect can wrap them as tasks."""

    land: LandStep = land_step
    load: LoadStep = load_step
    gold: GoldStep = gold_step


async def _finish_run(
    connection: asyncpg.Connection, summary: PipelineSummary, status: str, message: str
) -> None:
    await connection.execute(
        """
        UPDATE ops.pipeline_runs SET finished_at = now(), status = $2, files = $3,
            rows_read = $4, rows_inserted = $5, rows_updated = $6, rows_unchanged = $7,
            rows_stale = $8, rows_rejected = $9, message = $10
        WHERE run_id = $1
        """,
        summary.run_id,
        status,
        len(summary.loaded),
        summary.total("rows_read"),
        summary.total("inserted"),
        summary.total("updated"),
        summary.total("unchanged"),
        summary.total("stale"),
        summary.total("rejected"),
        message,
    )


async def run_data_pipeline(
    settings: FlowSettings,
    *,
    steps: PipelineSteps | None = None,
    flow_run_id: str | None = None,
) -> PipelineSummary:
    """Land pending files, load unloaded bronze into silver, rebuild touched marts."""
    steps = steps or PipelineSteps()
    dsn = asyncpg_dsn(resolve_database_url(settings, Owner.FLOWS))
    store = ObjectStore.from_settings(settings)
    summary = PipelineSummary(run_id=uuid.uuid4())
    lock_connection = await asyncpg.connect(dsn)
    try:
        if not await lock_connection.fetchval("SELECT pg_try_advisory_lock($1)", PIPELINE_LOCK_KEY):
            summary.skipped = True
            logger.info(summary.describe())
            return summary
        await lock_connection.execute(
            "INSERT INTO ops.pipeline_runs (run_id, flow_run_id) VALUES ($1, $2)",
            summary.run_id,
            flow_run_id,
        )
        try:
            for key in pending_landing_keys(store):
                summary.landed.append(await steps.land(settings, dsn, key))
            for row in await unloaded_bronze_files(lock_connection, "orders"):
                outcome = await steps.load(
                    settings, dsn, row["bronze_file_id"], row["bronze_path"], summary.run_id
                )
                summary.loaded.append(outcome)
            summary.marts = await steps.gold(settings, dsn)
            if summary.reject_rate > settings.max_reject_rate:
                raise RejectRateExceededError(
                    f"{summary.reject_rate:.1%} of the rows were rejected (limit "
                    f"{settings.max_reject_rate:.0%}); inspect silver.rejects and fix the source"
                )
        except Exception as error:
            await _finish_run(lock_connection, summary, "failed", str(error))
            raise
        await _finish_run(lock_connection, summary, "succeeded", summary.describe())
        logger.info(summary.describe())
        return summary
    finally:
        await lock_connection.close()  # closing the session releases the advisory lock
