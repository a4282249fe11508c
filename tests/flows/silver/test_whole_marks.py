"""A file that changes a large share of a table marks the marts and back-office entities it feeds
whole: one mark each instead of one per key, and their next build or copy takes every key, with
the same result as marks key by key would give."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import pytest

from flows.generator import GenerateRequest, generate
from flows.gold import GoldFlow, MartBuild, build_marts
from flows.gold.checksums import mart_checksums
from flows.gold.marts import MARTS, dirty_marks, marts_for
from flows.pipeline import run_data_pipeline
from flows.run_summary import PipelineSummary
from flows.settings import FlowSettings
from flows.silver.whole_marks import marks_whole
from flows.steps import PipelineSteps
from shared.database import asyncpg_dsn
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.generator.lake_files import AS_OF
from tests.flows.test_back_office import assert_back_office_is_silver


@pytest.mark.parametrize(
    ("applied", "estimated_rows", "whole"),
    [
        (3, 0, True),  # a first load
        (2, 0, False),  # below ECOM_WHOLE_MARK_ROWS, however empty the table
        (3, 12, True),  # a quarter of the table
        (3, 13, False),  # less than a quarter
    ],
)
def test_a_file_marks_whole_from_a_number_and_a_share_of_rows(
    applied: int, estimated_rows: int, whole: bool
) -> None:
    assert marks_whole(applied, estimated_rows, min_rows=3) is whole


async def _no_marts(
    settings: FlowSettings, dsn: str, run_id: uuid.UUID, full: bool = False
) -> list[MartBuild]:
    return []


async def _history(flow_settings: FlowSettings, days: int) -> None:
    """A generated history of `days` days, loaded and built."""
    generate(flow_settings, GenerateRequest(days=days, seed=11, as_of=AS_OF, clean=True))
    await run_data_pipeline(flow_settings)


async def _next_day_as_bulk_file(flow_settings: FlowSettings) -> PipelineSummary:
    """Load the next day's batch with a bulk threshold (ECOM_WHOLE_MARK_ROWS) its orders file
    passes by number and by share, and without building marts, so the marks stay to be seen."""
    generate(flow_settings, GenerateRequest(as_of=AS_OF + timedelta(days=1), clean=True))
    batch = flow_settings.model_copy(update={"whole_mark_rows": 1})
    return await run_data_pipeline(batch, steps=PipelineSteps(gold=_no_marts))


async def _count(connection: asyncpg.Connection, table: str) -> int:
    return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))  # nosec B608 # test tables


async def test_a_large_batch_marks_whole_and_the_next_build_takes_every_key(
    flow_settings: FlowSettings, database: TestDatabase
) -> None:
    dsn = asyncpg_dsn(database.role_url(Owner.FLOWS))
    await _history(flow_settings, days=2)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("ANALYZE silver.orders")
        history = await _count(connection, "silver.orders")
        summary = await _next_day_as_bulk_file(flow_settings)
        [orders] = [file for file in summary.loaded if file.entity == "orders"]
        assert 0.25 * history <= orders.inserted + orders.updated, "the batch is too small"
        marked = {row["mart"] for row in await connection.fetch("SELECT mart FROM ops.dirty_marts")}
        fed_by_orders = {mart for mark in dirty_marks("orders") for mart in mark.marts}
        assert fed_by_orders
        assert fed_by_orders <= marked
        # The run's back-office copy took every order of the entity marked whole, and cleared
        # the marks.
        assert await _count(connection, "ops.dirty_back_office_entities") == 0
        assert await _count(connection, "ops.dirty_back_office") == 0
        await assert_back_office_is_silver(database)

        summary = await run_data_pipeline(flow_settings)  # nothing new: the marts build

        modes = {build.mart: build.mode for build in summary.marts}
        assert {modes[m.table] for m in MARTS if m.name in fed_by_orders} == {"full"}

        assert await _count(connection, "ops.dirty_marts") == 0
        assert await _count(connection, "ops.dirty_back_office_entities") == 0
        pipeline_marts = marts_for(GoldFlow.DATA_PIPELINE)
        built = await mart_checksums(connection)
        await build_marts(connection, pipeline_marts, uuid.uuid4(), "USD", full=True)
        rebuilt = await mart_checksums(connection)
        for mart in pipeline_marts:
            assert rebuilt[mart.table] == built[mart.table] != "empty", mart.table
    finally:
        await connection.close()


async def test_a_small_batch_still_marks_key_by_key(
    flow_settings: FlowSettings, database: TestDatabase
) -> None:
    dsn = asyncpg_dsn(database.role_url(Owner.FLOWS))
    await _history(flow_settings, days=20)
    generate(flow_settings, GenerateRequest(as_of=AS_OF + timedelta(minutes=5), clean=True))

    summary = await run_data_pipeline(flow_settings, steps=PipelineSteps(gold=_no_marts))

    assert sum(file.inserted + file.updated for file in summary.loaded) > 0
    connection = await asyncpg.connect(dsn)
    try:
        assert await _count(connection, "ops.dirty_marts") == 0
        assert await _count(connection, "ops.dirty_back_office_entities") == 0
        assert await _count(connection, "ops.dirty_customers") > 0
    finally:
        await connection.close()
