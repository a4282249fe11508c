"""Landing and loading file by file: a file that cannot be landed or loaded is quarantined
with its reason and the run goes on with the others (see `flows.quarantine`)."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

import asyncpg

from flows.bronze import LANDING_PREFIX, pending_landing_keys
from flows.file_rules import refuse_untrusted_header
from flows.outbox import CHANGE_OUTBOX
from flows.quarantine import (
    Stage,
    is_file_fault,
    quarantine_bronze_file,
    quarantine_landing_file,
)
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
from flows.silver.load import read_header
from flows.silver.tables import SILVER_TABLE_BY_ENTITY
from shared.objectstore import ObjectStore

if TYPE_CHECKING:  # the run's own types; flows.pipeline imports this module
    from flows.pipeline import PipelineSteps, PipelineSummary

logger = logging.getLogger(__name__)


async def load_file(
    settings: FlowSettings, connection: asyncpg.Connection, file: BronzeFile, run_id: uuid.UUID
) -> FileOutcome:
    """Load one bronze file on `connection` (its own transaction, or a savepoint inside the
    caller's); a header the loader would guess at is refused, as at landing."""
    store = ObjectStore.from_settings(settings)
    if file.entity == CHANGE_OUTBOX:
        return await load_change_outbox_file(
            connection, store, file, run_id, change_outbox_options(settings)
        )
    # Files landed before the header rule existed meet it here.
    refuse_untrusted_header(file.entity, read_header(store, file.bronze_path))
    options = LoadOptions.for_table(settings, SILVER_TABLE_BY_ENTITY[file.entity])
    return await load_bronze_file(connection, store, file, run_id, options)


async def load_unloaded_files(
    settings: FlowSettings,
    dsn: str,
    steps: PipelineSteps,
    summary: PipelineSummary,
    connection: asyncpg.Connection,
) -> None:
    """Load every unloaded bronze file into silver, parents first, logging progress; a file
    that cannot be loaded is quarantined and the others go on."""
    files = await unloaded_bronze_files(connection)
    for number, file in enumerate(files, start=1):
        try:
            outcome = await steps.load(settings, dsn, file, summary.run_id)
        except Exception as error:
            if not is_file_fault(error):
                raise
            summary.quarantined.append(
                await quarantine_bronze_file(connection, file, error, summary.run_id, Stage.LOAD)
            )
            continue
        summary.loaded.append(outcome)
        log_loaded(number, len(files), outcome)


def log_loaded(number: int, of: int, outcome: FileOutcome) -> None:
    """One progress line per loaded file."""
    logger.info(
        "silver %d/%d: %s file %d: %s",
        number,
        of,
        outcome.entity,
        outcome.bronze_file_id,
        outcome.describe(),
    )


async def land_pending_files(
    settings: FlowSettings,
    dsn: str,
    steps: PipelineSteps,
    summary: PipelineSummary,
    connection: asyncpg.Connection,
) -> None:
    """Land every pending landing file; a file that cannot be landed (an unknown entity folder,
    a header the loader would guess at, ...) is quarantined and the others go on."""
    store = ObjectStore.from_settings(settings)
    pending = pending_landing_keys(store)
    for key in sorted(set(store.list(LANDING_PREFIX)) - set(pending)):
        logger.warning(
            "%s is not in an entity folder (landing/<entity>/<file>); it stays where it is", key
        )
    for key in pending:
        try:
            summary.landed.append(await steps.land(settings, dsn, key))
        except Exception as error:
            if not is_file_fault(error):
                raise
            summary.quarantined.append(
                await quarantine_landing_file(store, connection, key, error, summary.run_id)
            )
