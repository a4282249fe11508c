"""Rebuilding silver from bronze, and giving rejected rows another chance after a fix.

Both run under the pipeline's lock as recorded runs. A replay clears what it rebuilds, marks the
chosen bronze files unloaded and loads them again in one transaction: a replay that fails or is
killed part-way leaves silver exactly as it was. The file that failed it is quarantined (stage
`replay`, outside that transaction) and named, so the next replay goes on without it.
"""

from __future__ import annotations

import logging
from datetime import date

import asyncpg

from flows.back_office import sync_back_office
from flows.ingest import log_loaded
from flows.outbox import CHANGE_OUTBOX
from flows.quarantine import Stage, is_file_fault, quarantine_bronze_file, readable_reason
from flows.run_summary import PipelineSummary
from flows.runs import locked_run
from flows.settings import FlowSettings
from flows.silver import (
    BronzeFile,
    LoadOptions,
    change_outbox_options,
    replay_change_outbox_rejects,
    replay_file_rejects,
    unloaded_bronze_files,
)
from flows.silver.load import in_load_order
from flows.silver.tables import SILVER_TABLE_BY_ENTITY, SILVER_TABLES
from flows.steps import PipelineSteps, gold_step, load_file
from shared.database import affected_rows, asyncpg_dsn, resolve_database_url
from shared.owners import Owner

logger = logging.getLogger(__name__)


class ReplayRolledBackError(RuntimeError):
    """A replay stopped at a file it could not load; silver is as it was before the replay."""


async def _mark_for_replay(
    connection: asyncpg.Connection, from_date: date | None, to_date: date | None
) -> int:
    """Clear what the replay rebuilds and mark its bronze files unloaded (in the caller's
    transaction); returns the count."""
    if from_date is None and to_date is None:
        # A full rebuild: silver holds exactly what replaying every bronze file yields.
        tables = ", ".join(table.qualified for table in SILVER_TABLES)
        await connection.execute(f"TRUNCATE {tables}, silver.rejects, ops.schema_drift")
    status = await connection.execute(
        """
        UPDATE ops.bronze_files SET loaded_at = NULL
        WHERE ($1::date IS NULL OR (landed_at AT TIME ZONE 'UTC')::date >= $1)
          AND ($2::date IS NULL OR (landed_at AT TIME ZONE 'UTC')::date <= $2)
        """,
        from_date,
        to_date,
    )
    return affected_rows(status)


async def _drop_staging_tables(connection: asyncpg.Connection) -> None:
    """Drop this session's temporary tables: a file's staging tables go at its commit, but
    inside the replay's one transaction they would meet the next file's."""
    names = await connection.fetch(
        "SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema()"
        " AND relkind IN ('r', 'p')"
    )
    if names:
        await connection.execute(
            "DROP TABLE " + ", ".join(f'pg_temp."{row["relname"]}"' for row in names)
        )


class _ReplayFileError(Exception):
    """Carries the file that stopped a replay out of its transaction."""

    def __init__(self, file: BronzeFile, error: Exception) -> None:
        super().__init__(file, error)
        self.file = file
        self.error = error


async def _replay_in_one_transaction(
    settings: FlowSettings,
    connection: asyncpg.Connection,
    summary: PipelineSummary,
    from_date: date | None,
    to_date: date | None,
) -> None:
    """Clear, mark and reload in one transaction; a file that cannot be loaded rolls it all back
    and is raised as `_ReplayFileError`."""
    async with connection.transaction():
        marked = await _mark_for_replay(connection, from_date, to_date)
        files = await unloaded_bronze_files(connection)
        logger.info("replaying %d bronze file(s) into silver (%d marked)", len(files), marked)
        for number, file in enumerate(files, start=1):
            try:
                outcome = await load_file(settings, connection, file, summary.run_id)
            except Exception as error:
                if not is_file_fault(error):
                    raise
                raise _ReplayFileError(file, error) from error
            await _drop_staging_tables(connection)
            summary.loaded.append(outcome)
            log_loaded(number, len(files), outcome)


async def replay_silver(
    settings: FlowSettings,
    *,
    from_date: date | None = None,
    to_date: date | None = None,
    steps: PipelineSteps | None = None,
) -> PipelineSummary:
    """Reload bronze into silver and rebuild the marts.

    Without dates silver is emptied and rebuilt from every bronze file, in landing order. With
    dates, the files landed in [from_date, to_date] (UTC ingest dates) are applied again over
    silver under the usual rules: rows missing from silver come back, rows rejected under an
    old rule are checked again, everything else is counted unchanged or stale. Quarantined files
    stay out. A file that cannot be loaded rolls the whole replay back (silver is unchanged), is
    quarantined and named in the raised `ReplayRolledBackError`.
    """
    chosen = steps or PipelineSteps()
    dsn = asyncpg_dsn(resolve_database_url(settings, Owner.FLOWS))

    async def body(summary: PipelineSummary, connection: asyncpg.Connection) -> None:
        try:
            await _replay_in_one_transaction(settings, connection, summary, from_date, to_date)
        except _ReplayFileError as failed:
            summary.loaded.clear()  # rolled back: nothing of them was committed
            held = await quarantine_bronze_file(
                connection, failed.file, failed.error, summary.run_id, Stage.REPLAY
            )
            summary.quarantined.append(held)
            raise ReplayRolledBackError(
                f"replay rolled back, silver is unchanged: {failed.file.entity} bronze file "
                f"{failed.file.bronze_file_id} ({failed.file.bronze_path}) could not be loaded "
                f"({type(failed.error).__name__}: {readable_reason(failed.error)}). It is "
                f"quarantined as #{held.quarantine_id}: run `ecom pipeline replay` again to "
                "rebuild without it, or fix it and `ecom pipeline quarantine retry "
                f"{held.quarantine_id}`"
            ) from failed.error
        # The back office and every mart in full: a replay may change any key, day or customer.
        summary.back_office = await sync_back_office(
            connection, full=from_date is None and to_date is None
        )
        summary.marts = await chosen.gold(settings, dsn, summary.run_id, True)

    return await locked_run(settings, "replay", body)


async def _files_with_open_rejects(
    connection: asyncpg.Connection, entity: str | None, rule: str | None
) -> list[BronzeFile]:
    rows = await connection.fetch(
        """
        SELECT DISTINCT b.bronze_file_id, b.entity, b.bronze_path
        FROM silver.rejects r JOIN ops.bronze_files b USING (bronze_file_id)
        WHERE r.resolved_at IS NULL
          AND ($1::text IS NULL OR r.entity = $1) AND ($2::text IS NULL OR r.rule = $2)
        """,
        entity,
        rule,
    )
    return in_load_order([BronzeFile.from_record(row) for row in rows])


async def replay_rejects(
    settings: FlowSettings, *, entity: str | None = None, rule: str | None = None
) -> PipelineSummary:
    """Check the unresolved rejects (optionally of one entity or rule) against the current rules
    and data; rows that now pass reach silver and their rejects are marked resolved."""
    if entity is not None and entity not in SILVER_TABLE_BY_ENTITY and entity != CHANGE_OUTBOX:
        known = ", ".join([*SILVER_TABLE_BY_ENTITY, CHANGE_OUTBOX])
        raise ValueError(f"unknown entity {entity!r}; choose one of {known}")
    dsn = asyncpg_dsn(resolve_database_url(settings, Owner.FLOWS))

    async def body(summary: PipelineSummary, connection: asyncpg.Connection) -> None:
        files = await _files_with_open_rejects(connection, entity, rule)
        for number, file in enumerate(files, start=1):
            if file.entity == CHANGE_OUTBOX:
                outcome = await replay_change_outbox_rejects(
                    connection, file, summary.run_id, change_outbox_options(settings), rule
                )
            else:
                options = LoadOptions.for_table(settings, SILVER_TABLE_BY_ENTITY[file.entity])
                outcome = await replay_file_rejects(connection, file, summary.run_id, options, rule)
            summary.loaded.append(outcome)
            logger.info(
                "rejects %d/%d: %s file %d: %d resolved, %d still rejected",
                number,
                len(files),
                file.entity,
                file.bronze_file_id,
                outcome.rows_read - outcome.rejected,
                outcome.rejected,
            )
        summary.back_office = await sync_back_office(connection)
        summary.marts = await gold_step(settings, dsn, summary.run_id)

    # Replayed rows were all rejected once: the reject-rate guard does not apply here.
    tolerant = settings.model_copy(update={"max_reject_rate": 1.0})
    return await locked_run(tolerant, "replay_rejects", body)
