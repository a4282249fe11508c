"""Silver from the admin change outbox: every event applied under the rules of the CSV files.

A `change_outbox` bronze file mixes events of products, customers and orders. Its rows are staged
once and checked as events (known entity and operation, a JSON object payload whose key matches,
a timestamp). Then, per target table, the creates and updates are laid out in the table's CSV
shape — a column the payload lacks keeps its current silver value, and so do the extras — and
go through the same check, classify and apply statements as that table's CSV files: typed
checks and rejects, latest updated_at wins, stale counted, SCD2, inferred parents, dirty days.
Then the table's deletes close the current SCD2 version or mark the order deleted. Every event
ends in exactly one outcome; the file's single ledger row counts them all, and commits with
the file's silver changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

import asyncpg

from flows.outbox import CHANGE_OUTBOX
from flows.settings import FlowSettings
from flows.silver import outbox_statements as outbox_sql
from flows.silver.back_office_marks import mark_admin_edits, mark_deleted_rows
from flows.silver.checks import StagedHeader
from flows.silver.load import (
    BronzeFile,
    FileOutcome,
    LoadOptions,
    apply_checked_rows,
    begin_file_load,
    check_staged_rows,
    file_outcome,
    read_header,
    stage_open_rejects,
    write_ledger,
)
from flows.silver.outbox_statements import OUTBOX_TARGETS
from flows.silver.rules import RULES_NOT_REPLAYABLE
from flows.silver.staging import copy_bronze, record_refused, stage_raw_table
from flows.silver.tables import SilverTable
from shared.database import affected_rows
from shared.objectstore import ObjectStore

OUTCOMES = (
    "inserted", "updated", "unchanged", "stale", "rejected", "parents_inferred", "orphans",
)  # fmt: skip


def change_outbox_options(settings: FlowSettings) -> dict[str, LoadOptions]:
    """The load options of every table the outbox edits, by table name."""
    return {table.name: LoadOptions.for_table(settings, table) for table in OUTBOX_TARGETS.values()}


async def _record_rejects(
    connection: asyncpg.Connection, source: str, file: BronzeFile, run_id: UUID
) -> int:
    status = await connection.execute(
        outbox_sql.record_event_rejects(source), file.bronze_file_id, run_id, CHANGE_OUTBOX
    )
    return affected_rows(status)


async def _apply_upserts(
    connection: asyncpg.Connection,
    entity: str,
    table: SilverTable,
    file: BronzeFile,
    run_id: UUID,
    options: LoadOptions,
) -> dict[str, int]:
    """Creates and updates of one entity, through the table's own checks and merge."""
    header = outbox_sql.target_header(table)
    await connection.execute(stage_raw_table(len(header), with_refused=False))
    await connection.execute(outbox_sql.staged_upserts(table), entity)
    await check_staged_rows(connection, table, StagedHeader.from_header(table, header), options)
    rejected = await _record_rejects(connection, "stage_checked", file, run_id)
    await connection.execute(outbox_sql.kept_extras(table))
    counts = await apply_checked_rows(connection, table, file, options)
    for statement in mark_admin_edits(table):
        await connection.execute(statement)
    await connection.execute("DROP TABLE stage_raw, stage_checked, stage_outcomes")
    return {**counts, "rejected": rejected}


async def _apply_deletes(
    connection: asyncpg.Connection, entity: str, table: SilverTable, file: BronzeFile
) -> dict[str, int]:
    """Deletes of one entity, after its upserts: a delete wins only over older changes."""
    await connection.execute(outbox_sql.classified_deletes(table), entity)
    counts = dict(await connection.fetchrow(outbox_sql.delete_counts()) or {})
    for statement, binds_file in outbox_sql.applied_deletes(table):
        await connection.execute(statement, *([file.bronze_file_id] if binds_file else []))
    for statement in mark_deleted_rows(table):
        await connection.execute(statement)
    await connection.execute("DROP TABLE stage_deletes")
    return counts


async def _merge_staged_events(
    connection: asyncpg.Connection,
    file: BronzeFile,
    header: list[str],
    run_id: UUID,
    options: Mapping[str, LoadOptions],
) -> dict[str, int]:
    """Apply the outbox events staged in `stage_raw`; returns counts per outcome."""
    await connection.execute(outbox_sql.staged_events(header), header)
    await connection.execute("DROP TABLE stage_raw")
    totals = dict.fromkeys(OUTCOMES, 0)
    totals["rejected"] = await _record_rejects(connection, "stage_outbox", file, run_id)
    for entity, table in OUTBOX_TARGETS.items():
        table_options = options[table.name]
        for counts in (
            await _apply_upserts(connection, entity, table, file, run_id, table_options),
            await _apply_deletes(connection, entity, table, file),
        ):
            for outcome, count in counts.items():
                totals[outcome] += count
    return totals


async def load_change_outbox_file(
    connection: asyncpg.Connection,
    store: ObjectStore,
    file: BronzeFile,
    run_id: UUID,
    options: Mapping[str, LoadOptions],
) -> FileOutcome:
    """Apply one bronze file of outbox events to silver with its ledger row, atomically."""
    header = read_header(store, file.bronze_path)
    async with connection.transaction():
        await begin_file_load(connection, file.bronze_file_id)  # current values render as UTC
        await connection.execute(stage_raw_table(len(header)))
        staged = await copy_bronze(connection, store, file.bronze_path, len(header))
        counts = await _merge_staged_events(connection, file, header, run_id, options)
        # The size rule of the outbox's raw rows: that of its first target (one setting).
        max_field_bytes = next(iter(options.values())).max_field_bytes
        counts["rejected"] += await record_refused(
            connection, file.entity, file.bronze_file_id, run_id, header, max_field_bytes
        )
        outcome = file_outcome(file, staged.records, counts)
        await write_ledger(connection, outcome, run_id, replayed=False)
    return outcome


async def replay_change_outbox_rejects(
    connection: asyncpg.Connection,
    file: BronzeFile,
    run_id: UUID,
    options: Mapping[str, LoadOptions],
    rule: str | None = None,
) -> FileOutcome:
    """Run an outbox file's unresolved rejects (of one rule, if given) through the current rules
    again; events that now pass (applied, or stale by now) get their rejects resolved, the
    others their current reason."""
    async with connection.transaction():
        await begin_file_load(connection, file.bronze_file_id)
        header = await stage_open_rejects(connection, file.bronze_file_id, rule)
        rows_read = await connection.fetchval("SELECT count(*) FROM stage_raw")
        counts = await _merge_staged_events(connection, file, header, run_id, options)
        # A reject written again above carries this run; the others passed this time.
        await connection.execute(
            """
            UPDATE silver.rejects SET resolved_at = now(), resolved_run_id = $2
            WHERE bronze_file_id = $1 AND resolved_at IS NULL AND rule <> ALL($3::text[])
                AND run_id IS DISTINCT FROM $2
                AND line_number IN (SELECT source_line FROM stage_outbox)
            """,
            file.bronze_file_id,
            run_id,
            list(RULES_NOT_REPLAYABLE),
        )
        outcome = file_outcome(file, rows_read, counts)
        await write_ledger(connection, outcome, run_id, replayed=True)
    return outcome
