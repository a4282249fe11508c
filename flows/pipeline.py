"""The data pipeline as plain functions: landing (and the admin change outbox) -> bronze ->
silver -> gold, one run at a time.

The Prefect flow in `flows.orchestration` runs the same steps wrapped as tasks; tests call
`run_data_pipeline` directly.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from flows.bronze import LandedFile, land_file_in_bronze, pending_landing_keys
from flows.gold import MartBuild, build_mart_daily_revenue
from flows.outbox import CHANGE_OUTBOX, land_change_outbox
from flows.settings import FlowSettings
from flows.silver import (
    BronzeFile,
    FileOutcome,
    LoadOptions,
    change_outbox_options,
    load_bronze_file,
    load_change_outbox_file,
    unloaded_bronze_files,
)
from flows.silver.tables import SILVER_TABLE_BY_ENTITY
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
            f"{self.total('rejected')} ({self.reject_rate:.1%}), parents inferred "
            f"{self.total('parents_inferred')}; marts "
            + ", ".join(f"{m.mart}: {len(m.days)} day(s)" for m in self.marts)
            + (f"; anomalies: {'; '.join(self.anomalies)}" if self.anomalies else "")
        )

    @property
    def anomalies(self) -> list[str]:
        """Things worth a look even though the run balanced: drift and inferred parents."""
        flags = [
            f"{file.entity} file {file.bronze_file_id} schema drift ({', '.join(file.drift)})"
            for file in self.loaded
            if file.drift
        ]
        if inferred := self.total("parents_inferred"):
            flags.append(f"{inferred} parent row(s) inferred before their own row arrived")
        return flags


LandStep = Callable[[FlowSettings, str, str], Awaitable[LandedFile]]
OutboxStep = Callable[[FlowSettings, str], Awaitable[list[LandedFile]]]
LoadStep = Callable[[FlowSettings, str, BronzeFile, uuid.UUID], Awaitable[FileOutcome]]
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


async def outbox_step(settings: FlowSettings, dsn: str) -> list[LandedFile]:
    """Land the admin change outbox in bronze and trim what was landed."""
    connection = await asyncpg.connect(dsn)
    try:
        return await land_change_outbox(ObjectStore.from_settings(settings), connection)
    finally:
        await connection.close()


async def load_step(
    settings: FlowSettings, dsn: str, file: BronzeFile, run_id: uuid.UUID
) -> FileOutcome:
    """Load one bronze file into silver with its ledger row."""
    store = ObjectStore.from_settings(settings)
    connection = await asyncpg.connect(dsn)
    try:
        if file.entity == CHANGE_OUTBOX:
            return await load_change_outbox_file(
                connection, store, file, run_id, change_outbox_options(settings)
            )
        options = LoadOptions.for_table(settings, SILVER_TABLE_BY_ENTITY[file.entity])
        return await load_bronze_file(connection, store, file, run_id, options)
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
    """The steps, swappable so Prefect can wrap them as tasks."""

    land: LandStep = land_step
    outbox: OutboxStep = outbox_step
    load: LoadStep = load_step
    gold: GoldStep = gold_step


async def _finish_run(
    connection: asyncpg.Connection, summary: PipelineSummary, status: str, message: str
) -> None:
    await connection.execute(
        """
        UPDATE ops.pipeline_runs SET finished_at = now(), status = $2, files = $3,
            rows_read = $4, rows_inserted = $5, rows_updated = $6, rows_unchanged = $7,
            rows_stale = $8, rows_rejected = $9, message = $10, parents_inferred = $11,
            anomalies = $12::jsonb
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
        summary.total("parents_inferred"),
        json.dumps(summary.anomalies),
    )


async def run_data_pipeline(
    settings: FlowSettings,
    *,
    steps: PipelineSteps | None = None,
    flow_run_id: str | None = None,
) -> PipelineSummary:
    """Land pending files and the admin change outbox, load unloaded bronze into silver,
    rebuild touched marts."""
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
            summary.landed.extend(await steps.outbox(settings, dsn))
            for file in await unloaded_bronze_files(lock_connection):
                summary.loaded.append(await steps.load(settings, dsn, file, summary.run_id))
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
