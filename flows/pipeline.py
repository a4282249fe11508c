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

from flows.back_office import BackOfficeSync, sync_back_office
from flows.bronze import LandedFile, land_file_in_bronze
from flows.file_rules import refuse_untrusted_file
from flows.gold import GoldFlow, MartBuild, build_marts
from flows.gold.checksums import mart_checksums
from flows.gold.kpis import capture_kpi_snapshot
from flows.gold.marts import MART_BY_TABLE, MARTS, marts_for
from flows.ingest import land_pending_files, load_file, load_unloaded_files
from flows.lineage import LineageEmitter
from flows.notifications import (
    DispatchSummary,
    adapter_from_settings,
    dispatch_notifications,
    enqueue_notifications,
)
from flows.outbox import CHANGE_OUTBOX, land_change_outbox
from flows.quarantine import NEXT_STEP, QuarantinedFile, quarantine_summary
from flows.settings import FlowSettings
from flows.silver import BronzeFile, FileOutcome
from flows.silver.outbox_statements import OUTBOX_TARGETS
from shared.database import affected_rows, asyncpg_dsn, resolve_database_url
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
    notes: list[str] = field(default_factory=list)  # what hooks after the marts did
    quarantined: list[QuarantinedFile] = field(default_factory=list)
    back_office: BackOfficeSync | None = None  # what the run copied into the admin tables

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
            f"{self.total('parents_inferred')}; gold "
            + ("; ".join(m.describe() for m in self.marts) or "not built")
            + (f"; {self.back_office.describe()}" if self.back_office else "")
            + "".join(f"; {note}" for note in self.notes)
            + (f"; anomalies: {'; '.join(self.anomalies)}" if self.anomalies else "")
            + (f"; {quarantine_summary(self.quarantined)}" if self.quarantined else "")
        )

    def as_markdown(self) -> str:
        """The run as a Markdown table per file, for the Prefect UI."""
        lines = [
            f"**{self.describe()}**",
            "",
            "| entity | bronze file | read | inserted | updated | unchanged | stale | rejected |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {f.entity} | {f.bronze_file_id} | {f.rows_read} | {f.inserted} | {f.updated} "
            f"| {f.unchanged} | {f.stale} | {f.rejected} |"
            for f in self.loaded
        ]
        if self.quarantined:
            lines += [
                "",
                f"**{len(self.quarantined)} file(s) quarantined**, not loaded; next: {NEXT_STEP}",
                "",
                "| id | stage | entity | file | rows | error | reason |",
                "|---:|---|---|---|---:|---|---|",
            ]
            lines += [
                f"| {q.quarantine_id} | {q.stage} | {q.entity} | {_cell(q.source_key)} | {q.rows} "
                f"| {q.error_class} | {_cell(q.reason)} |"
                for q in self.quarantined
            ]
        return "\n".join(lines)

    def lineage(self) -> tuple[list[str], list[str]]:
        """The datasets this run read and wrote, for its OpenLineage events."""
        inputs: list[str] = []
        outputs: list[str] = []
        for landed in self.landed:
            source = "admin.change_outbox" if landed.entity == CHANGE_OUTBOX else None
            inputs.append(source or f"landing/{landed.entity}")
            outputs.append(f"bronze/{landed.entity}")
        for loaded in self.loaded:
            inputs.append(f"bronze/{loaded.entity}")
            if loaded.entity == CHANGE_OUTBOX:
                outputs += [table.qualified for table in OUTBOX_TARGETS.values()]
            else:
                outputs.append(f"silver.{loaded.entity}")
            if loaded.rejected:
                outputs.append("silver.rejects")
        for build in self.marts:
            if build.mode != "skipped":
                inputs += MART_BY_TABLE[build.mart].reads
                outputs.append(build.mart)
        return inputs, outputs

    @property
    def anomalies(self) -> list[str]:
        """Things worth a look even though the run balanced: drift, inferred parents, orphans."""
        flags = [
            f"{file.entity} file {file.bronze_file_id} schema drift ({', '.join(file.drift)})"
            for file in self.loaded
            if file.drift
        ]
        if inferred := self.total("parents_inferred"):
            flags.append(f"{inferred} parent row(s) inferred before their own row arrived")
        if orphans := self.total("orphans"):
            flags.append(f"{orphans} orphan row(s) loaded before their order arrived")
        if self.back_office and self.back_office.skipped:
            flags.append(
                f"{self.back_office.skipped} silver row(s) the back office refused: "
                + ", ".join(self.back_office.skipped_keys[:10])
            )
        return flags


def _cell(text: str) -> str:
    """`text` safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


LandStep = Callable[[FlowSettings, str, str], Awaitable[LandedFile]]
OutboxStep = Callable[[FlowSettings, str], Awaitable[list[LandedFile]]]
LoadStep = Callable[[FlowSettings, str, BronzeFile, uuid.UUID], Awaitable[FileOutcome]]
GoldStep = Callable[[FlowSettings, str, uuid.UUID, bool], Awaitable[list[MartBuild]]]


async def land_step(settings: FlowSettings, dsn: str, landing_key: str) -> LandedFile:
    """Land one landing file in bronze, unless its folder or header is refused (it raises)."""
    connection = await asyncpg.connect(dsn)
    try:
        return await land_file_in_bronze(
            ObjectStore.from_settings(settings), connection, landing_key, refuse_untrusted_file
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
    connection = await asyncpg.connect(dsn)
    try:
        return await load_file(settings, connection, file, run_id)
    finally:
        await connection.close()


async def gold_step(
    settings: FlowSettings, dsn: str, run_id: uuid.UUID, full: bool = False
) -> list[MartBuild]:
    """Rebuild the data pipeline's marts for what silver changed (every mart, in full, when
    `full`), then snapshot the headline KPIs."""
    connection = await asyncpg.connect(dsn)
    try:
        marts = MARTS if full else marts_for(GoldFlow.DATA_PIPELINE)
        builds = await build_marts(connection, marts, run_id, settings.base_currency, full=full)
        await capture_kpi_snapshot(connection, run_id)
        return builds
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
            anomalies = $12::jsonb, files_quarantined = $13, quarantined = $14::jsonb,
            back_office_synced = $15, back_office_removed = $16, back_office_skipped = $17
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
        len(summary.quarantined),
        json.dumps([file.as_json() for file in summary.quarantined]),
        summary.back_office.synced if summary.back_office else 0,
        summary.back_office.removed if summary.back_office else 0,
        summary.back_office.skipped if summary.back_office else 0,
    )


RunBody = Callable[[PipelineSummary, asyncpg.Connection], Awaitable[None]]
# The OpenLineage job of each kind of recorded run.
LINEAGE_JOBS = {
    "incremental": "data_pipeline",
    "replay": "replay_silver",
    "replay_rejects": "replay_rejects",
    "rebuild": "rebuild_marts",
}


async def _traced(
    settings: FlowSettings, kind: str, summary: PipelineSummary, work: Awaitable[None]
) -> None:
    """Await `work` inside an OpenLineage run (same id as the pipeline run) that names what
    the run read and wrote once it is known; a failure is reported as a FAIL event."""
    emitter = LineageEmitter.from_settings(settings)
    try:
        async with emitter.run(
            LINEAGE_JOBS.get(kind, kind), inputs=(), outputs=(), run_id=summary.run_id
        ) as lineage:
            try:
                await work
            finally:
                inputs, outputs = summary.lineage()
                lineage.add_inputs(*inputs)
                lineage.add_outputs(*outputs)
    finally:
        emitter.close()


ABANDONED_RUN = "abandoned: its process died mid-run; the next run loads what it left unloaded"


async def _close_abandoned_runs(connection: asyncpg.Connection) -> None:
    """Mark failed the runs still 'running': whoever holds the lock is the only live run, so
    those were killed before they could record how they ended."""
    abandoned = affected_rows(
        await connection.execute(
            "UPDATE ops.pipeline_runs SET status = 'failed', finished_at = now(), message = $1"
            " WHERE status = 'running'",
            ABANDONED_RUN,
        )
    )
    if abandoned:
        logger.warning("marked %d abandoned run(s) failed", abandoned)


async def _take_lock(connection: asyncpg.Connection, wait_seconds: float) -> bool:
    """Take the pipeline lock, waiting up to `wait_seconds` for a running run to finish."""
    if not wait_seconds:
        return bool(await connection.fetchval("SELECT pg_try_advisory_lock($1)", PIPELINE_LOCK_KEY))
    await connection.execute(f"SET lock_timeout = '{int(wait_seconds * 1000)}ms'")
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", PIPELINE_LOCK_KEY)
    except asyncpg.LockNotAvailableError:
        return False
    finally:
        await connection.execute("RESET lock_timeout")
    return True


async def locked_run(
    settings: FlowSettings,
    kind: str,
    body: RunBody,
    *,
    flow_run_id: str | None = None,
    wait_seconds: float = 0,
) -> PipelineSummary:
    """Run `body` as one recorded pipeline run, unless another run holds the lock (for longer
    than `wait_seconds`).

    The run row is finished as failed (with the error), quarantined (it quarantined files) or
    succeeded, with the summary; a run whose reject rate exceeds `max_reject_rate` fails after
    its files are committed.
    """
    dsn = asyncpg_dsn(resolve_database_url(settings, Owner.FLOWS))
    summary = PipelineSummary(run_id=uuid.uuid4())
    lock_connection = await asyncpg.connect(dsn)
    try:
        if not await _take_lock(lock_connection, wait_seconds):
            summary.skipped = True
            logger.info(summary.describe())
            return summary
        await _close_abandoned_runs(lock_connection)
        await lock_connection.execute(
            "INSERT INTO ops.pipeline_runs (run_id, flow_run_id, kind) VALUES ($1, $2, $3)",
            summary.run_id,
            flow_run_id,
            kind,
        )
        try:
            await _traced(settings, kind, summary, body(summary, lock_connection))
            if summary.reject_rate > settings.max_reject_rate:
                raise RejectRateExceededError(
                    f"{summary.reject_rate:.1%} of the rows were rejected (limit "
                    f"{settings.max_reject_rate:.0%}, ECOM_MAX_REJECT_RATE); inspect "
                    "silver.rejects, fix the source, then `ecom pipeline replay-rejects`"
                )
        except Exception as error:
            await _finish_run(lock_connection, summary, "failed", str(error))
            raise
        status = "quarantined" if summary.quarantined else "succeeded"
        await _finish_run(lock_connection, summary, status, summary.describe())
        (logger.warning if summary.quarantined else logger.info)(summary.describe())
        return summary
    finally:
        await lock_connection.close()  # closing the session releases the advisory lock


async def run_data_pipeline(
    settings: FlowSettings,
    *,
    steps: PipelineSteps | None = None,
    flow_run_id: str | None = None,
) -> PipelineSummary:
    """Land pending files and the admin change outbox, load unloaded bronze into silver,
    rebuild touched marts."""
    chosen = steps or PipelineSteps()
    dsn = asyncpg_dsn(resolve_database_url(settings, Owner.FLOWS))

    async def body(summary: PipelineSummary, connection: asyncpg.Connection) -> None:
        await land_pending_files(settings, dsn, chosen, summary, connection)
        summary.landed.extend(await chosen.outbox(settings, dsn))
        await load_unloaded_files(settings, dsn, chosen, summary, connection)
        summary.back_office = await sync_back_office(connection)
        summary.marts = await chosen.gold(settings, dsn, summary.run_id, False)

    return await locked_run(settings, "incremental", body, flow_run_id=flow_run_id)


GoldHook = Callable[[asyncpg.Connection], Awaitable[str]]
# A scheduled gold flow waits this long for a running pipeline instead of skipping its turn.
GOLD_FLOW_LOCK_WAIT_S = 120.0


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
            connection, marts_for(gold_flow), summary.run_id, settings.base_currency
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
            connection, MARTS, summary.run_id, settings.base_currency, full=True
        )
        checksums.update(await mart_checksums(connection))

    summary = await locked_run(settings, "rebuild", body, wait_seconds=GOLD_FLOW_LOCK_WAIT_S)
    return summary, checksums


async def queue_notifications(connection: asyncpg.Connection) -> str:
    """The loyalty flow's notification hook: queue the due reminders."""
    return f"{await enqueue_notifications(connection)} notification(s) queued"


async def run_notification_dispatch(settings: FlowSettings) -> DispatchSummary:
    """Deliver the due notifications through the configured adapter (log, or the webhook).

    Needs no pipeline lock: claims skip rows another dispatcher holds, and each message is
    marked sent once. The run is traced in OpenLineage like the others."""
    dsn = asyncpg_dsn(resolve_database_url(settings, Owner.FLOWS))
    emitter = LineageEmitter.from_settings(settings)
    table = ("reminders.notification_outbox",)
    connection = await asyncpg.connect(dsn)
    try:
        async with (
            emitter.run("dispatch_notifications", inputs=table, outputs=table),
            adapter_from_settings(settings) as adapter,
        ):
            return await dispatch_notifications(
                connection,
                adapter,
                batch_size=settings.notification_batch_size,
                max_attempts=settings.notification_max_attempts,
                lease_seconds=settings.notification_lease_seconds,
            )
    finally:
        await connection.close()
        emitter.close()
