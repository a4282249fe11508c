"""Silver: stream a bronze file into PostgreSQL with COPY and merge it set-based in SQL.

Each file is loaded in one transaction together with its ledger row, so a crash leaves either
the whole file applied and accounted for, or nothing.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from flows.bronze import BOM
from flows.outbox import CHANGE_OUTBOX
from flows.settings import DriftPolicy, FlowSettings
from flows.silver import bulk_indexes, checks, whole_marks
from flows.silver import statements as sql
from flows.silver.back_office_marks import mark_changed_rows
from flows.silver.limits import number_limits
from flows.silver.rules import RULES_NOT_REPLAYABLE
from flows.silver.staging import (
    TEMPORARY_STAGE,
    Stage,
    copy_bronze,
    record_refused,
    stage_raw_table,
)
from flows.silver.tables import SILVER_TABLE_BY_ENTITY, SILVER_TABLES, SilverTable
from shared.database import affected_rows, settings_for
from shared.objectstore import ObjectStore

logger = logging.getLogger(__name__)

SOFT_CASTS_SINCE = 16  # the PostgreSQL major version that brought pg_input_is_valid
# Memory for one file's load. The stage tables of a file of a million orders take a few hundred
# MB: with the default 8 MB of temp_buffers every write and scan of them goes through the
# operating system, and with the default 4 MB of work_mem the sort that ranks a file's rows by
# key, and the hashes of its keys, spill to disk. temp_buffers is taken as needed, not up front.
LOAD_WORK_MEM = "256MB"
LOAD_TEMP_BUFFERS = "1GB"
# How the check statement is planned and run (`check_staged_rows`). The planner prices none of
# its work per row (casts, patterns, a CASE per rule). To it, passing a checked row from a
# parallel worker costs more than checking it (`parallel_tuple_cost`, 0.1 by default), and
# sorting a million typed rows by currency and day to merge-join them with the day rates costs
# less than probing a hash of a few thousand days: on a million orders the sort took 1.2 s of
# each worker's 4.8. Priced as cheap and without the merge join, the check runs on every core
# where `stage_raw` lets workers read it (`staging.Stage`). The leader, left to receive and
# write the checked rows, does only that: checking beside them too, it held the workers up
# (4.85 s, against 4.56 without it, on two cores).
CHECK_SETTINGS = {
    "parallel_tuple_cost": "0.001",
    "enable_mergejoin": "off",
    "parallel_leader_participation": "off",
}
# A file of at least this many bytes is staged where parallel workers can check it
# (`staging.Stage`); PostgreSQL scans no smaller table in parallel (min_parallel_table_scan_size).
PARALLEL_STAGE_BYTES = 8 * 1024 * 1024


class LedgerImbalanceError(RuntimeError):
    """Rows read differ from the rows accounted for: something would be lost."""


class UnknownBronzeFileError(LookupError):
    """A file to load has no `ops.bronze_files` row: its rows would name no file."""


class SchemaDriftRefusedError(RuntimeError):
    """A file brings columns its entity does not declare, and the drift policy says fail."""


@dataclass(frozen=True)
class BronzeFile:
    """A bronze object waiting to be loaded."""

    bronze_file_id: int
    entity: str
    bronze_path: str

    @classmethod
    def from_record(cls, row: asyncpg.Record) -> BronzeFile:
        """The file of an `ops.bronze_files` row."""
        return cls(row["bronze_file_id"], row["entity"], row["bronze_path"])


@dataclass(frozen=True)
class LoadOptions:
    """The settings one table's load depends on."""

    base_currency: str
    drift_policy: DriftPolicy
    tracked: tuple[str, ...]
    max_field_bytes: int
    # A file applying at least this many rows (and a large share of the table) marks whole.
    whole_mark_rows: int = 100_000

    @classmethod
    def for_table(cls, settings: FlowSettings, table: SilverTable) -> LoadOptions:
        """Options for `table` from the flow settings."""
        tracked = settings.history_columns.get(table.name, list(table.default_tracked))
        return cls(
            settings.base_currency,
            settings.drift_policy(table.entity),
            tuple(tracked),
            settings.max_field_bytes,
            settings.whole_mark_rows,
        )


@dataclass(frozen=True)
class FileOutcome:
    """How every row of one bronze file ended."""

    bronze_file_id: int
    entity: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    stale: int
    rejected: int
    parents_inferred: int = 0
    drift: tuple[str, ...] = ()
    # Rows loaded whose parent (an order) has not arrived: part of inserted/updated, flagged.
    orphans: int = 0

    def describe(self) -> str:
        """The file's counts per outcome, for logs."""
        return (
            f"read {self.rows_read}, inserted {self.inserted}, updated {self.updated}, "
            f"unchanged {self.unchanged}, stale {self.stale}, rejected {self.rejected}"
        )

    @property
    def accounted(self) -> int:
        """Rows with an outcome; equals rows_read when nothing was lost."""
        return self.inserted + self.updated + self.unchanged + self.stale + self.rejected


def read_header(store: ObjectStore, key: str) -> list[str]:
    """The header of a bronze CSV, names trimmed and lower-cased."""
    with store.open_read(key) as stream:
        head = stream.read(256 * 1024).removeprefix(BOM)
    first = next(csv.reader(io.StringIO(head.decode("utf-8", errors="replace"), newline="")), [])
    return [name.strip().lower() for name in first]


async def lock_bronze_file(connection: asyncpg.Connection, bronze_file_id: int) -> None:
    """Check, once per file, what a foreign key per silver row used to check (migration 0010):
    the file the rows will name exists. FOR KEY SHARE holds its row until the load commits;
    ops.bronze_files refuses deletes anyway."""
    found = await connection.fetchval(
        "SELECT bronze_file_id FROM ops.bronze_files WHERE bronze_file_id = $1 FOR KEY SHARE",
        bronze_file_id,
    )
    if found is None:
        raise UnknownBronzeFileError(f"bronze file {bronze_file_id} is not in ops.bronze_files")


async def begin_file_load(connection: asyncpg.Connection, bronze_file_id: int) -> None:
    """Open a file's load in the current transaction: its `ops.bronze_files` row locked
    (`lock_bronze_file`), values rendered in UTC, and the load's memory (`LOAD_WORK_MEM`,
    `LOAD_TEMP_BUFFERS`; a session that used temporary tables keeps the temp_buffers it started
    them with)."""
    await lock_bronze_file(connection, bronze_file_id)
    await connection.execute("SET LOCAL TimeZone = 'UTC'")
    await connection.execute(f"SET LOCAL work_mem = '{LOAD_WORK_MEM}'")
    # The sorts of a bulk file's index rebuilds (`bulk_indexes`).
    await connection.execute(f"SET LOCAL maintenance_work_mem = '{LOAD_WORK_MEM}'")
    try:
        async with connection.transaction():
            await connection.execute(f"SET LOCAL temp_buffers = '{LOAD_TEMP_BUFFERS}'")
    except asyncpg.InvalidParameterValueError:
        logger.debug("temp_buffers is fixed for this session: temporary tables were used")


async def stage_open_rejects(
    connection: asyncpg.Connection, bronze_file_id: int, rule: str | None = None
) -> list[str]:
    """Stage the unresolved rejects of a file (of one rule, if given) from their raw rows;
    returns the header. Rejects that do not keep their record exactly (`RULES_NOT_REPLAYABLE`)
    stay rejected."""
    chosen = """
        FROM silver.rejects WHERE bronze_file_id = $1 AND resolved_at IS NULL
          AND rule <> ALL($2::text[]) AND ($3::text IS NULL OR rule = $3)
    """
    header: list[str] = [
        row["name"]
        for row in await connection.fetch(
            f"SELECT DISTINCT jsonb_object_keys(raw_row) AS name {chosen} ORDER BY 1",
            bronze_file_id,
            list(RULES_NOT_REPLAYABLE),
            rule,
        )
    ]
    await connection.execute(stage_raw_table(len(header)))
    values = "".join(f", raw_row ->> ($4::text[])[{i + 1}]" for i in range(len(header)))
    columns = "".join(f", c{i}" for i in range(len(header)))
    await connection.execute(
        f"INSERT INTO stage_raw (source_line{columns}) SELECT line_number{values} {chosen}",
        bronze_file_id,
        list(RULES_NOT_REPLAYABLE),
        rule,
        header,
    )
    return header


async def check_staged_rows(
    connection: asyncpg.Connection,
    table: SilverTable,
    staged: checks.StagedHeader,
    options: LoadOptions,
    *,
    control_characters: bool = True,
) -> None:
    """CREATE `stage_checked`: the staged rows typed, each with the first rule it breaks.
    `control_characters`: whether staging saw any (else their search is skipped)."""
    fx_days = None
    if table.fx is not None:
        size = await connection.fetchval(checks.fx_days_size(), options.base_currency)
        if size <= checks.FX_DAYS_LIMIT:
            rows = await connection.fetch(checks.fx_days(), options.base_currency)
            fx_days = checks.FxDays(
                [row["currency"] for row in rows],
                [row["day"] for row in rows],
                [row["rate"] for row in rows],
            )
    soft_casts = connection.get_server_version().major >= SOFT_CASTS_SINCE
    casting = frozenset() if soft_casts else await _casting_columns(connection, table, staged)
    check_options = checks.CheckOptions(
        base_currency=options.base_currency,
        keep_extras=options.drift_policy is DriftPolicy.APPEND,
        max_field_bytes=options.max_field_bytes,
        limits=await number_limits(connection, table),
        control_characters=control_characters,
        soft_casts=soft_casts,
        fx_days=fx_days,
        casting=casting,
    )
    statement, args = checks.checked_rows(table, staged, check_options)
    async with settings_for(connection, CHECK_SETTINGS):
        await connection.execute(statement, *args)
    await connection.execute(sql.analyze_stage("stage_checked"))


async def _casting_columns(
    connection: asyncpg.Connection, table: SilverTable, staged: checks.StagedHeader
) -> frozenset[str]:
    """The timestamp columns whose every staged value casts (`checks.casting_columns`): all of
    them in one pass when they all cast, as in a clean file, else a pass per column. `fetch`, not
    `fetchval`: PostgreSQL runs no query in parallel that is fetched a row at a time."""
    casts = checks.casting_columns(table, staged)
    if not casts or await _all_cast(connection, list(casts.values())):
        return frozenset(casts)
    if len(casts) == 1:
        return frozenset()
    return frozenset([name for name, cast in casts.items() if await _all_cast(connection, [cast])])


async def _all_cast(connection: asyncpg.Connection, casts: list[str]) -> bool:
    """Whether every staged value casts in each of `casts`."""
    try:
        async with connection.transaction():  # a savepoint: a failed cast leaves the load
            await connection.fetch(checks.casting_query(casts))
    except asyncpg.DataError:
        return False
    return True


async def apply_checked_rows(
    connection: asyncpg.Connection, table: SilverTable, file: BronzeFile, options: LoadOptions
) -> dict[str, int]:
    """Classify the valid checked rows against silver and apply the winners; returns the counts
    per outcome (rejects excluded), the number of parents inferred and of orphans loaded."""
    await connection.execute(sql.classified_rows(table, options.tracked))
    await connection.execute(sql.analyze_stage("stage_outcomes"))
    counts = dict(await connection.fetchrow(sql.outcome_counts()) or {})
    if counts["unsettled"]:  # most files repeat no key: nothing to settle
        await connection.execute(sql.settle_superseded(table))
        counts = dict(await connection.fetchrow(sql.outcome_counts()) or {})
    if counts.pop("unsettled"):
        raise AssertionError("a superseded row found no winner in its file")
    bulk = await _is_bulk(connection, table, counts, options)
    async with bulk_indexes.rebuilt_after(connection, table.qualified, bulk=bulk):
        for statement, binds_file in sql.apply_changes(table):
            await connection.execute(statement, *([file.bronze_file_id] if binds_file else []))
    if bulk:
        # The planner's statistics of the table predate the file (a first load has none), and
        # autovacuum analyses it only some time after the commit: the next files and the marts
        # built in the same run would plan on them. The orders file's inferred-customer check
        # sorted a million keys for a merge anti-join (1.7 s) against a customers table loaded
        # but not analysed; with statistics it hashes them (0.6 s). ANALYZE samples the rows
        # this transaction wrote and takes about 0.4 s on a million orders.
        await connection.execute(f"ANALYZE {table.qualified}")
    inferred = 0
    for column, parent in table.inferred_parents.items():
        inferred += affected_rows(
            await connection.execute(
                sql.infer_parents(column, SILVER_TABLE_BY_ENTITY[parent]), file.bronze_file_id
            )
        )
    orphans = 0
    for column, parent in table.awaited_parents.items():
        orphans += await connection.fetchval(
            sql.orphan_count(column, SILVER_TABLE_BY_ENTITY[parent])
        )
    marks = whole_marks.mark_whole(table) if bulk else _key_marks(table)
    for statement in marks:
        await connection.execute(statement)
    return {**counts, "parents_inferred": inferred, "orphans": orphans}


async def _is_bulk(
    connection: asyncpg.Connection, table: SilverTable, counts: dict[str, int], options: LoadOptions
) -> bool:
    """Whether the file changes so large a share of its table (`whole_marks.marks_whole`) that
    the table's indexes are rebuilt after writing (`bulk_indexes`) and its marts and
    back-office entity are marked whole instead of key by key."""
    applied = counts["inserted"] + counts["updated"]
    if applied < options.whole_mark_rows:
        return False  # a small batch never asks the catalog
    estimated = await connection.fetchval(whole_marks.ESTIMATED_ROWS, table.qualified)
    if not whole_marks.marks_whole(applied, estimated, options.whole_mark_rows):
        return False
    logger.info(
        "silver.%s: %d rows to apply, a large share of the table: its indexes are"
        " rebuilt after writing, its marts and back-office rows marked whole",
        table.name,
        applied,
    )
    return True


def _key_marks(table: SilverTable) -> list[str]:
    """The statements marking the keys the applied rows changed, for gold and the back office."""
    return [*sql.mark_dirty_changes(table), *mark_changed_rows(table)]


async def _merge_staged(
    connection: asyncpg.Connection,
    table: SilverTable,
    file: BronzeFile,
    staged: checks.StagedHeader,
    run_id: UUID,
    options: LoadOptions,
    *,
    control_characters: bool = True,
) -> dict[str, int]:
    """Check, record rejects, classify and apply the staged rows; returns counts per outcome."""
    await check_staged_rows(
        connection, table, staged, options, control_characters=control_characters
    )
    rejected = affected_rows(
        await connection.execute(
            checks.record_rejects(table.entity, staged.width, options.max_field_bytes),
            file.bronze_file_id,
            run_id,
            list(staged.names),
        )
    )
    counts = await apply_checked_rows(connection, table, file, options)
    return {**counts, "rejected": rejected}


async def _record_drift(
    connection: asyncpg.Connection,
    table: SilverTable,
    file: BronzeFile,
    staged: checks.StagedHeader,
    policy: DriftPolicy,
) -> tuple[str, ...]:
    changes = [(name, "added") for name in staged.extra_positions] + [
        (name, "missing") for name in staged.missing(table)
    ]
    if changes:
        await connection.executemany(
            """
            INSERT INTO ops.schema_drift (bronze_file_id, entity, column_name, change, policy)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
            """,
            [(file.bronze_file_id, table.entity, name, change, policy) for name, change in changes],
        )
    return tuple(f"{change}:{name}" for name, change in changes)


def file_outcome(
    file: BronzeFile, rows_read: int, counts: dict[str, int], drift: tuple[str, ...] = ()
) -> FileOutcome:
    """The outcome of a file from its counts per outcome."""
    return FileOutcome(
        bronze_file_id=file.bronze_file_id,
        entity=file.entity,
        rows_read=rows_read,
        inserted=counts["inserted"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        stale=counts["stale"],
        rejected=counts["rejected"],
        parents_inferred=counts["parents_inferred"],
        drift=drift,
        orphans=counts["orphans"],
    )


async def write_ledger(
    connection: asyncpg.Connection, outcome: FileOutcome, run_id: UUID, replayed: bool
) -> None:
    """Record a file's ledger row and mark the file loaded; refuses (and so rolls back the file)
    when it does not balance."""
    if outcome.accounted != outcome.rows_read:
        raise LedgerImbalanceError(
            f"bronze file {outcome.bronze_file_id} ({outcome.entity}): read {outcome.rows_read}"
            f" rows but accounted for {outcome.accounted}; nothing was committed"
        )
    await connection.execute(
        """
        INSERT INTO ops.file_ledger (bronze_file_id, run_id, entity, rows_read, rows_inserted,
            rows_updated, rows_unchanged, rows_stale, rows_rejected, parents_inferred,
            replayed_rejects, orphans)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        """,
        outcome.bronze_file_id,
        run_id,
        outcome.entity,
        outcome.rows_read,
        outcome.inserted,
        outcome.updated,
        outcome.unchanged,
        outcome.stale,
        outcome.rejected,
        outcome.parents_inferred,
        replayed,
        outcome.orphans,
    )
    if not replayed:  # a rejects replay re-reads rows of a file that stays loaded
        await connection.execute(
            "UPDATE ops.bronze_files SET loaded_at = now() WHERE bronze_file_id = $1",
            outcome.bronze_file_id,
        )


async def load_bronze_file(
    connection: asyncpg.Connection,
    store: ObjectStore,
    file: BronzeFile,
    run_id: UUID,
    options: LoadOptions,
    header: list[str] | None = None,
) -> FileOutcome:
    """Apply one bronze file to its silver table and record its ledger row, atomically.
    `header`: the file's `read_header`, when the caller has read it already."""
    table = SILVER_TABLE_BY_ENTITY[file.entity]
    if header is None:
        header = read_header(store, file.bronze_path)
    staged = checks.StagedHeader.from_header(table, header)
    if staged.extra_positions and options.drift_policy is DriftPolicy.FAIL:
        raise SchemaDriftRefusedError(
            f"bronze file {file.bronze_file_id} ({file.bronze_path}) adds column(s) "
            f"{', '.join(staged.extra_positions)} that silver.{table.name} does not declare, and "
            f"the drift policy of {file.entity} is 'fail'. Declare the columns in "
            "flows/silver/tables.py (and a migration), or set ECOM_SCHEMA_DRIFT_POLICY to append "
            "or ignore for this entity, then `ecom pipeline quarantine retry ID`."
        )
    async with connection.transaction():
        await begin_file_load(connection, file.bronze_file_id)
        stage = (
            Stage.for_session(connection.get_server_pid())
            if store.size(file.bronze_path) >= PARALLEL_STAGE_BYTES
            else TEMPORARY_STAGE
        )
        await connection.execute(stage.create(staged.width))
        staged_file = await copy_bronze(connection, store, file.bronze_path, staged.width, stage)
        counts = await _merge_staged(
            connection,
            table,
            file,
            staged,
            run_id,
            options,
            control_characters=staged_file.control_characters,
        )
        counts["rejected"] += await record_refused(
            connection, file.entity, file.bronze_file_id, run_id, header, options.max_field_bytes
        )
        drift = await _record_drift(connection, table, file, staged, options.drift_policy)
        outcome = file_outcome(file, staged_file.records, counts, drift)
        await write_ledger(connection, outcome, run_id, replayed=False)
        if (drop := stage.drop()) is not None:
            await connection.execute(drop)
    return outcome


async def replay_file_rejects(
    connection: asyncpg.Connection,
    file: BronzeFile,
    run_id: UUID,
    options: LoadOptions,
    rule: str | None = None,
) -> FileOutcome:
    """Run a file's unresolved rejects through the current rules again; rows that now pass are
    applied and their rejects marked resolved, the others get their current reason."""
    table = SILVER_TABLE_BY_ENTITY[file.entity]
    async with connection.transaction():
        await begin_file_load(connection, file.bronze_file_id)
        header = await stage_open_rejects(connection, file.bronze_file_id, rule)
        staged = checks.StagedHeader.from_header(table, header)
        rows_read = await connection.fetchval("SELECT count(*) FROM stage_raw")
        counts = await _merge_staged(connection, table, file, staged, run_id, options)
        await connection.execute(
            """
            UPDATE silver.rejects SET resolved_at = now(), resolved_run_id = $2
            WHERE bronze_file_id = $1 AND line_number IN
                (SELECT source_line FROM stage_checked WHERE rule IS NULL)
            """,
            file.bronze_file_id,
            run_id,
        )
        outcome = file_outcome(file, rows_read, counts)
        await write_ledger(connection, outcome, run_id, replayed=True)
    return outcome


def in_load_order(files: list[BronzeFile]) -> list[BronzeFile]:
    """Files of known entities, parents' entities first, each entity in landing order; the
    admin change outbox last, after the rows its edits refer to."""
    order = {table.entity: position for position, table in enumerate(SILVER_TABLES)}
    order[CHANGE_OUTBOX] = len(SILVER_TABLES)
    return sorted(
        (f for f in files if f.entity in order), key=lambda f: (order[f.entity], f.bronze_file_id)
    )


async def unloaded_bronze_files(connection: asyncpg.Connection) -> list[BronzeFile]:
    """Bronze files not yet loaded, in load order; quarantined (and discarded) files stay out."""
    rows = await connection.fetch(
        """
        SELECT bronze_file_id, entity, bronze_path FROM ops.bronze_files b
        WHERE loaded_at IS NULL AND NOT EXISTS (SELECT FROM ops.quarantined_files q
            WHERE q.bronze_file_id = b.bronze_file_id AND q.status <> 'retried')
        """
    )
    return in_load_order([BronzeFile.from_record(row) for row in rows])
