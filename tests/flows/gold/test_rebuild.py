"""Marts built incrementally run after run (a move of the data date included) equal a full rebuild
of the same silver, and two full rebuilds are identical (checksums of every mart, build times left
out)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from flows.generator import GenerateRequest, generate
from flows.gold import GoldFlow, build_marts
from flows.gold.checksums import mart_checksums
from flows.gold.marts import MARTS
from flows.pipeline import run_data_pipeline, run_gold_flow
from flows.settings import FlowSettings
from shared.database import asyncpg_dsn
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.generator.lake_files import AS_OF


async def _rebuild_all(dsn: str) -> dict[str, str]:
    connection = await asyncpg.connect(dsn)
    try:
        await build_marts(connection, MARTS, uuid.uuid4(), "USD", full=True)
        return await mart_checksums(connection)
    finally:
        await connection.close()


async def test_incremental_marts_equal_a_full_rebuild_and_rebuilds_are_identical(
    flow_settings: FlowSettings, database: TestDatabase
) -> None:
    dsn = asyncpg_dsn(database.role_url(Owner.FLOWS))
    # Forty days: long enough for customers to be due reminders, so every mart has rows.
    generate(flow_settings, GenerateRequest(days=40, seed=5, as_of=AS_OF, clean=True))
    await run_data_pipeline(flow_settings)
    for gold_flow in (GoldFlow.LOYALTY_RECOMMENDATIONS, GoldFlow.TRUST_TRANSPARENCY):
        await run_gold_flow(flow_settings, gold_flow)
    # Three more batches a few minutes apart: incremental builds of the data pipeline's marts.
    for minutes in (3, 6, 9):
        at = datetime.fromtimestamp(AS_OF.timestamp() + minutes * 60, UTC)
        generate(flow_settings, GenerateRequest(as_of=at, clean=True))
        summary = await run_data_pipeline(flow_settings)
        assert {build.mode for build in summary.marts} <= {"incremental", "skipped"}
    # A batch of the next day moves the data date: the trust scores rebuild the days it changes.
    generate(flow_settings, GenerateRequest(as_of=AS_OF + timedelta(days=1), clean=True))
    summary = await run_data_pipeline(flow_settings)
    modes = {build.mart: build.mode for build in summary.marts}
    assert modes["transparency.mart_trust_scores"] == "incremental"
    for gold_flow in (GoldFlow.LOYALTY_RECOMMENDATIONS, GoldFlow.TRUST_TRANSPARENCY):
        await run_gold_flow(flow_settings, gold_flow)
    connection = await asyncpg.connect(dsn)
    try:
        incremental = await mart_checksums(connection)
    finally:
        await connection.close()
    assert "empty" not in incremental.values(), incremental

    first = await _rebuild_all(dsn)
    second = await _rebuild_all(dsn)

    assert first == second
    assert first == incremental
