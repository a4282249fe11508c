"""The data pipeline's steps as plain, typed functions, each on a connection of its own: land one
landing file, land the admin change outbox, load one bronze file, build the marts.

The Prefect flow (`flows.orchestration.data_pipeline`) runs each through a thin task that adds
retries; `flows.pipeline.run_data_pipeline` calls them as they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import asyncpg

from flows.bronze import LandedFile, land_file_in_bronze
from flows.file_rules import refuse_untrusted_file, refuse_untrusted_header
from flows.gold import GoldFlow, MartBuild, build_marts
from flows.gold.kpis import capture_kpi_snapshot
from flows.gold.marts import MARTS, marts_for
from flows.outbox import CHANGE_OUTBOX, land_change_outbox
from flows.settings import FlowSettings
from flows.silver import (
    BronzeFile,
    FileOutcome,
    LoadOptions,
    change_outbox_options,
    load_bronze_file,
    load_change_outbox_file,
)
from flows.silver.load import read_header
from flows.silver.tables import SILVER_TABLE_BY_ENTITY
from shared.objectstore import ObjectStore

# The shapes of the steps (settings, the pipeline's DSN, then what the step works on).
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


async def load_file(
    settings: FlowSettings, connection: asyncpg.Connection, file: BronzeFile, run_id: uuid.UUID
) -> FileOutcome:
    """Load one bronze file on `connection` (its own transaction, or a savepoint inside the
    caller's); a header the loader would guess at is refused, as at landing. The header is read
    once, for the refusal and the load."""
    store = ObjectStore.from_settings(settings)
    if file.entity == CHANGE_OUTBOX:
        return await load_change_outbox_file(
            connection, store, file, run_id, change_outbox_options(settings)
        )
    header = read_header(store, file.bronze_path)
    # Files landed before the header rule existed meet it here.
    refuse_untrusted_header(file.entity, header)
    options = LoadOptions.for_table(settings, SILVER_TABLE_BY_ENTITY[file.entity])
    return await load_bronze_file(connection, store, file, run_id, options, header)


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
        builds = await build_marts(
            connection,
            marts,
            run_id,
            settings.base_currency,
            full=full,
            connect=partial(asyncpg.connect, dsn),
        )
        await capture_kpi_snapshot(connection, run_id)
        return builds
    finally:
        await connection.close()


@dataclass(frozen=True)
class PipelineSteps:
    """The plain steps `run_data_pipeline` runs; a benchmark or a test swaps one (a timed load,
    a narrower gold step). The Prefect flow composes its own tasks instead."""

    land: LandStep = land_step
    outbox: OutboxStep = outbox_step
    load: LoadStep = load_step
    gold: GoldStep = gold_step
