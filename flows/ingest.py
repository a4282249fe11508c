"""Landing and loading file by file: a file that cannot be landed or loaded is quarantined
with its reason and the run goes on with the others (see `flows.quarantine`).

Each loop runs the one-file step it is given: the plain function, or its Prefect task."""

from __future__ import annotations

import logging

import asyncpg

from flows.bronze import LANDING_PREFIX, pending_landing_keys
from flows.quarantine import (
    Stage,
    is_file_fault,
    quarantine_bronze_file,
    quarantine_landing_file,
)
from flows.run_summary import PipelineSummary
from flows.settings import FlowSettings
from flows.silver import FileOutcome, unloaded_bronze_files
from flows.steps import LandStep, LoadStep
from shared.objectstore import ObjectStore

logger = logging.getLogger(__name__)


async def load_unloaded_files(
    settings: FlowSettings,
    dsn: str,
    load: LoadStep,
    summary: PipelineSummary,
    connection: asyncpg.Connection,
) -> None:
    """Load every unloaded bronze file into silver with `load`, parents first, logging
    progress; a file that cannot be loaded is quarantined and the others go on."""
    files = await unloaded_bronze_files(connection)
    for number, file in enumerate(files, start=1):
        try:
            outcome = await load(settings, dsn, file, summary.run_id)
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
    land: LandStep,
    summary: PipelineSummary,
    connection: asyncpg.Connection,
) -> None:
    """Land every pending landing file with `land`; a file that cannot be landed (an unknown
    entity folder, a header the loader would guess at, ...) is quarantined and the others go on."""
    store = ObjectStore.from_settings(settings)
    pending = pending_landing_keys(store)
    for key in sorted(set(store.list(LANDING_PREFIX)) - set(pending)):
        logger.warning(
            "%s is not in an entity folder (landing/<entity>/<file>); it stays where it is", key
        )
    for key in pending:
        try:
            summary.landed.append(await land(settings, dsn, key))
        except Exception as error:
            if not is_file_fault(error):
                raise
            summary.quarantined.append(
                await quarantine_landing_file(store, connection, key, error, summary.run_id)
            )
