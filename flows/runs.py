"""Run bookkeeping: one pipeline run at a time (a PostgreSQL advisory lock), each recorded in
`ops.pipeline_runs` (a row when it starts, finished with its summary) and traced in OpenLineage.

What a run does is its body; `locked_run` only holds the lock, keeps the row and judges the
outcome (failed, quarantined or succeeded, and the reject-rate guard).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from flows.lineage import LineageEmitter
from flows.run_summary import PipelineSummary
from flows.settings import FlowSettings
from shared.database import affected_rows, asyncpg_dsn, resolve_database_url
from shared.owners import Owner

logger = logging.getLogger(__name__)

PIPELINE_LOCK_KEY = 0x7069706C  # "pipl": one pipeline run per database

ABANDONED_RUN = "abandoned: its process died mid-run; the next run loads what it left unloaded"

# The OpenLineage job of each kind of recorded run.
LINEAGE_JOBS = {
    "incremental": "data_pipeline",
    "replay": "replay_silver",
    "replay_rejects": "replay_rejects",
    "rebuild": "rebuild_marts",
}

# What a recorded run does, given its summary to fill and the connection holding the lock.
RunBody = Callable[[PipelineSummary, asyncpg.Connection], Awaitable[None]]


class RejectRateExceededError(RuntimeError):
    """Too many rows of a run were rejected; the data upstream needs attention."""


def flows_dsn(settings: FlowSettings) -> str:
    """The asyncpg DSN the pipeline connects with (its own role)."""
    return asyncpg_dsn(resolve_database_url(settings, Owner.FLOWS))


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


async def _start_run(
    connection: asyncpg.Connection, summary: PipelineSummary, kind: str, flow_run_id: str | None
) -> None:
    """Close what died before, then record this run as running."""
    await _close_abandoned_runs(connection)
    await connection.execute(
        "INSERT INTO ops.pipeline_runs (run_id, flow_run_id, kind) VALUES ($1, $2, $3)",
        summary.run_id,
        flow_run_id,
        kind,
    )


async def _finish_run(
    connection: asyncpg.Connection, summary: PipelineSummary, status: str, message: str
) -> None:
    """Record how the run ended, with its totals."""
    back_office = summary.back_office
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
        back_office.synced if back_office else 0,
        back_office.removed if back_office else 0,
        back_office.skipped if back_office else 0,
    )


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


def _refuse_high_reject_rate(settings: FlowSettings, summary: PipelineSummary) -> None:
    """Fail a run whose reject rate exceeds `max_reject_rate` (its files stay committed)."""
    if summary.reject_rate > settings.max_reject_rate:
        raise RejectRateExceededError(
            f"{summary.reject_rate:.1%} of the rows were rejected (limit "
            f"{settings.max_reject_rate:.0%}, ECOM_MAX_REJECT_RATE); inspect "
            "silver.rejects, fix the source, then `ecom pipeline replay-rejects`"
        )


async def _run_recorded(
    settings: FlowSettings,
    kind: str,
    body: RunBody,
    summary: PipelineSummary,
    connection: asyncpg.Connection,
) -> None:
    """Run `body` traced, then finish the run row as failed, quarantined or succeeded."""
    try:
        await _traced(settings, kind, summary, body(summary, connection))
        _refuse_high_reject_rate(settings, summary)
    except Exception as error:
        await _finish_run(connection, summary, "failed", str(error))
        raise
    status = "quarantined" if summary.quarantined else "succeeded"
    await _finish_run(connection, summary, status, summary.describe())
    (logger.warning if summary.quarantined else logger.info)(summary.describe())


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
    summary = PipelineSummary(run_id=uuid.uuid4())
    lock_connection = await asyncpg.connect(flows_dsn(settings))
    try:
        if not await _take_lock(lock_connection, wait_seconds):
            summary.skipped = True
            logger.info(summary.describe())
            return summary
        await _start_run(lock_connection, summary, kind, flow_run_id)
        await _run_recorded(settings, kind, body, summary, lock_connection)
        return summary
    finally:
        await lock_connection.close()  # closing the session releases the advisory lock
