"""The Prefect side: deployments load with their schedules; the flow runs on a Prefect server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)
from prefect.client.schemas.objects import StateType
from prefect.deployments.runner import RunnerDeployment
from prefect.states import Failed
from prefect.testing.utilities import prefect_test_harness

from flows.generator import GenerateRequest, generate
from flows.orchestration import (
    QUARANTINED,
    LandingWatcher,
    build_deployments,
    data_pipeline,
    dispatch_notifications,
    generate_orders,
    is_transient_failure,
    loyalty_recommendations,
    trust_transparency,
)
from flows.settings import FlowSettings
from shared.database import asyncpg_dsn
from shared.objectstore import ObjectStore
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.generator.lake_files import AS_OF
from tests.flows.orders_csv import land_orders


@pytest.fixture(scope="module")
def prefect_server() -> Iterator[None]:
    """A temporary Prefect server (and database) for this module's flow runs."""
    with prefect_test_harness(server_startup_timeout=120):
        yield


def _schedule(deployment: RunnerDeployment) -> Any:
    """The deployment's only schedule."""
    assert deployment.schedules
    [schedule] = deployment.schedules
    return schedule.schedule


def test_deployments_carry_the_configured_schedules(tmp_path: Path) -> None:
    settings = FlowSettings(
        _env_file=None,
        data_dir=tmp_path,
        data_pipeline_schedule="*/2 * * * *",
        generate_interval_minutes=7,
        loyalty_recommendations_schedule="0 * * * *",
        trust_transparency_schedule="30 * * * *",
    )
    pipeline, generator, loyalty, trust, dispatch, replay, retry = build_deployments(settings)
    assert [d.name for d in (pipeline, generator, loyalty, trust, dispatch)] == [
        "data-pipeline",
        "generate-orders",
        "loyalty-recommendations",
        "trust-transparency",
        "dispatch-notifications",
    ]
    assert _schedule(pipeline).cron == "*/2 * * * *"
    assert _schedule(generator).interval.total_seconds() == 420
    assert _schedule(loyalty).cron == "0 * * * *"
    assert _schedule(trust).cron == "30 * * * *"
    assert _schedule(dispatch).cron == "* * * * *"
    assert {d.concurrency_limit for d in (pipeline, generator, loyalty, trust, dispatch)} == {1}
    # The admin API's actions: on demand, under the names it starts.
    assert [(d.flow_name, d.name) for d in (replay, retry)] == [
        ("replay_rejects", "replay-rejects"),
        ("retry_quarantined_file", "retry-quarantined-file"),
    ]
    assert (replay.schedules, retry.schedules) == ([], [])


async def test_new_landing_files_start_the_pipeline_once_they_have_settled(
    tmp_path: Path,
) -> None:
    settings = FlowSettings(
        _env_file=None, data_dir=tmp_path, object_store_url=(tmp_path / "lake").as_uri()
    )
    started: list[int] = []

    async def trigger() -> None:
        started.append(1)

    watcher = LandingWatcher(settings, trigger)
    assert not await watcher.poll()  # nothing pending
    land_orders(ObjectStore.from_settings(settings), "batch", 3)
    assert not await watcher.poll()  # just appeared: a batch may still be being written
    assert await watcher.poll()  # unchanged since the last look: start the pipeline
    assert not await watcher.poll()  # the same files do not start it twice
    land_orders(ObjectStore.from_settings(settings), "next", 2)
    assert not await watcher.poll()
    assert await watcher.poll()
    assert len(started) == 2


def pipeline_environment(
    monkeypatch: pytest.MonkeyPatch, database: TestDatabase, tmp_path: Path
) -> str:
    """Point the flows' settings at the test database and a lake under tmp_path (its URL)."""
    lake_url = (tmp_path / "lake").as_uri()
    monkeypatch.setenv("ECOM_DATABASE_URL", database.role_url(Owner.FLOWS))
    monkeypatch.setenv("ECOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ECOM_OBJECT_STORE_URL", lake_url)
    return lake_url


async def test_data_pipeline_flow_loads_a_batch(
    prefect_server: None,
    database: TestDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lake_url = pipeline_environment(monkeypatch, database, tmp_path)
    land_orders(ObjectStore(lake_url), "batch", 12)

    summary = await data_pipeline()

    assert "read 12, inserted 12" in summary
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        run = await connection.fetchrow("SELECT status, flow_run_id FROM ops.pipeline_runs")
    finally:
        await connection.close()
    assert run is not None
    assert run["status"] == "succeeded"
    assert run["flow_run_id"], "the run records which Prefect flow run it was"
    async with get_client() as client:
        [artifact] = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["data-pipeline-summary"]))
        )
    assert "| orders | 1 | 12 | 12 | 0 | 0 | 0 | 0 |" in str(artifact.data)


async def test_a_run_that_quarantines_files_ends_in_the_quarantined_state(
    prefect_server: None,
    database: TestDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lake_url = pipeline_environment(monkeypatch, database, tmp_path)
    lake = ObjectStore(lake_url)
    land_orders(lake, "batch", 4)
    lake.write_atomic("landing/returns/r.csv", b"return_id\nr-1\n")

    state = await data_pipeline(return_state=True)

    assert (state.type, state.name) == (StateType.FAILED, QUARANTINED)
    assert "read 4, inserted 4" in str(state.message), "the good file was loaded"
    assert "#1 landing/returns/r.csv (landing: UnknownEntityError)" in str(state.message)
    assert "`ecom pipeline quarantine retry ID`" in str(state.message)
    async with get_client() as client:
        run_id = state.state_details.flow_run_id
        assert run_id is not None
        flow_run = await client.read_flow_run(run_id)
        [artifact] = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    assert flow_run.state is not None
    assert (flow_run.state.type, flow_run.state.name) == (StateType.FAILED, QUARANTINED)
    assert "| 1 | landing | returns | landing/returns/r.csv |" in str(artifact.data)
    assert await database.rows("SELECT status, files_quarantined FROM ops.pipeline_runs") == [
        ("quarantined", 1)
    ]

    clean = await data_pipeline(return_state=True)

    assert (clean.type, clean.name) == (StateType.COMPLETED, "Completed")


async def test_gold_flows_build_their_marts_and_queue_and_dispatch_notifications(
    prefect_server: None,
    database: TestDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ECOM_DATABASE_URL", database.role_url(Owner.FLOWS))
    monkeypatch.setenv("ECOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ECOM_OBJECT_STORE_URL", (tmp_path / "lake").as_uri())
    generate(FlowSettings(), GenerateRequest(days=40, seed=2, as_of=AS_OF, clean=True))
    await data_pipeline()

    loyalty = await loyalty_recommendations()
    trust = await trust_transparency()
    dispatched = await dispatch_notifications()

    assert "loyalty.mart_loyalty_recommendations: full" in loyalty
    assert "reminders.reminder_candidates: full" in loyalty
    queued = int(re.search(r"(\d+) notification\(s\) queued", loyalty)[1])  # type: ignore[index]
    assert queued > 0, "forty days of history leave customers due a reminder"
    assert "transparency.mart_logistics_sla: full" in trust
    assert "transparency.trust_metrics: full" in trust
    assert f"notifications: {queued} sent" in dispatched
    runs = await database.rows("SELECT kind, status FROM ops.pipeline_runs ORDER BY started_at")
    assert runs == [
        ("incremental", "succeeded"),
        ("loyalty_recommendations", "succeeded"),
        ("trust_transparency", "succeeded"),
    ]


def test_generate_orders_flow_writes_the_next_batch(
    prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = ObjectStore((tmp_path / "lake").as_uri())
    monkeypatch.setenv("ECOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ECOM_BATCH_ORDERS", "12")
    monkeypatch.setenv("ECOM_GENERATOR_SEED", "4")
    monkeypatch.setenv("ECOM_FAULTS", "false")

    first = generate_orders()
    second = generate_orders(orders=3)

    assert "batch 000001-" in first
    assert ": 12 new orders" in first
    assert "batch 000002-" in second
    assert ": 3 new orders" in second
    assert len(lake.list("landing/orders")) == 2


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (ConnectionResetError("peer went away"), True),
        (asyncpg.CannotConnectNowError("starting up"), True),
        (ValueError("bad row"), False),
        (asyncpg.UniqueViolationError("duplicate key"), False),
    ],
)
async def test_tasks_retry_only_transient_errors(error: Exception, retried: bool) -> None:
    assert await is_transient_failure(None, None, Failed(data=error)) is retried
