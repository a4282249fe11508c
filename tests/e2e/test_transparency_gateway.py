"""The trust marts end to end: generated history -> pipeline -> trust_transparency -> the
transparency service behind the gateway, over sockets, with bearer tokens."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import asyncpg
import httpx

from flows.generator import GenerateRequest, generate
from flows.gold import MartBuild, build_marts
from flows.gold.build import GoldFlow
from flows.gold.marts.transparency import MART_TRUST_SCORES
from flows.pipeline import run_data_pipeline, run_gold_flow
from flows.settings import FlowSettings
from flows.steps import PipelineSteps
from shared.identity import Role
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.e2e.conftest import bearer


async def build_trust_scores_only(
    settings: FlowSettings, dsn: str, run_id: uuid.UUID, full: bool = False
) -> list[MartBuild]:
    """The data pipeline's gold step narrowed to the trust scores: the other marts it builds
    (and its KPI snapshot) belong to other services and are tested with them."""
    connection = await asyncpg.connect(dsn)
    try:
        return await build_marts(
            connection, (MART_TRUST_SCORES,), run_id, settings.base_currency, full=full
        )
    finally:
        await connection.close()


async def count(database: TestDatabase, query: str) -> int:
    """The one number a counting query returns."""
    [[number]] = await database.fetch(query)
    return int(number)


async def test_trust_marts_built_from_generated_history_are_served_through_the_gateway(
    database: TestDatabase, tmp_path: Path, gateway_url: str
) -> None:
    settings = FlowSettings(
        _env_file=None, data_dir=tmp_path, database_url=database.role_url(Owner.FLOWS)
    )
    generate(settings, GenerateRequest(orders=300, days=10, seed=11, clean=True))
    await run_data_pipeline(settings, steps=PipelineSteps(gold=build_trust_scores_only))
    await run_gold_flow(settings, GoldFlow.TRUST_TRANSPARENCY)
    viewer = bearer(Role.VIEWER, "e2e-viewer")

    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        metrics = await client.get("/api/trust/metrics", headers=viewer)
        export = await client.get(
            "/api/trust/metrics/export", headers=bearer(Role.EDITOR, "e2e-editor")
        )
        refused_export = await client.get("/api/trust/metrics/export", headers=viewer)
        breached = await client.get(
            "/api/transparency/trust/scores",
            params={"breached": "true", "limit": 1},
            headers=viewer,
        )
        snapshots = await client.get(
            "/api/transparency/logistics/snapshots", params={"limit": 500}, headers=viewer
        )
        badges = await client.get("/api/transparency/badges", params={"limit": 500}, headers=viewer)
        customer = await client.get("/api/transparency/badges", headers=bearer(Role.CUSTOMER, "C1"))
        anonymous = await client.get("/api/trust/metrics")
        merged = await client.get("/api/openapi.json")

    assert metrics.status_code == 200, metrics.text
    as_of_date = metrics.json()["as_of_date"]
    stored_metrics = await database.rows(
        "SELECT metric, as_of_date::text FROM transparency.trust_metrics ORDER BY metric"
    )
    assert [(m["metric"], m["as_of_date"]) for m in metrics.json()["data"]] == stored_metrics
    assert len(stored_metrics) == 12
    assert {date for _metric, date in stored_metrics} == {as_of_date}

    assert export.status_code == 200, export.text
    header, *rows = list(csv.reader(io.StringIO(export.text, newline="")))
    assert header[:3] == ["metric", "value", "unit"]
    assert [row[0] for row in rows] == [metric for metric, _date in stored_metrics]
    assert (refused_export.status_code, customer.status_code, anonymous.status_code) == (
        403,
        403,
        401,
    )

    breached_days = await count(
        database, "SELECT count(*) FROM transparency.mart_trust_scores WHERE breach_flags <> '{}'"
    )
    assert breached.json()["count"] == breached_days > 0
    sla_rows = await count(database, "SELECT count(*) FROM transparency.mart_logistics_sla")
    assert len(snapshots.json()["data"]) == snapshots.json()["count"] == sla_rows > 0

    # Each subject's latest rated day, computed independently of the service's query.
    expected_badges = await database.rows(
        """
        SELECT subject_type, subject_id, badge, score_date::text FROM (
            SELECT *, row_number() OVER (
                PARTITION BY subject_type, subject_id
                ORDER BY badge = 'unrated', score_date DESC) AS rank
            FROM transparency.mart_trust_scores) ranked
        WHERE rank = 1 ORDER BY subject_type, subject_id
        """
    )
    served_badges = [
        (row["subject_type"], row["subject_id"], row["badge"], row["score_date"])
        for row in badges.json()["data"]
    ]
    assert served_badges == expected_badges
    # The newest days hold shipments not yet due: read as "the badge of the latest day", many
    # subjects would be unrated; the current badges skip those days.
    unrated_on_latest_day = await count(
        database,
        """
        SELECT count(*) FILTER (WHERE badge = 'unrated') FROM (
            SELECT DISTINCT ON (subject_type, subject_id) badge
            FROM transparency.mart_trust_scores
            ORDER BY subject_type, subject_id, score_date DESC) latest
        """,
    )
    unrated_now = [row for row in served_badges if row[2] == "unrated"]
    assert len(unrated_now) < unrated_on_latest_day
    assert any(row["score_date"] < row["latest_score_date"] for row in badges.json()["data"])

    operations = {
        operation.get("operationId")
        for path in merged.json()["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict)
    }
    assert {
        "transparency_list_trust_scores",
        "transparency_list_logistics_snapshots",
        "transparency_list_badges",
        "transparency_get_trust_metrics",
        "transparency_export_trust_metrics",
    } <= operations
