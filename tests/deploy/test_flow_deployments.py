"""The ECS deployments (deploy/flow_deployments.py) are build_deployments' on a work pool: same
names, flows, schedules and limits, importable module entrypoints, the image, and the work pool
Terraform's worker polls. Registered on a real temporary Prefect server; nothing contacts AWS."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.flows import load_flow_from_entrypoint
from prefect.settings import PREFECT_API_URL
from prefect.testing.utilities import prefect_test_harness

from deploy.flow_deployments import (
    ECS_WORK_POOL,
    ECS_WORKER_TYPE,
    PROCESS_WORKER_TYPE,
    WorkPoolTypeError,
    all_deployments,
    base_job_template,
    ensure_work_pool,
    module_entrypoint,
    register_on_work_pool,
    watch_landing,
    work_pool_deployments,
)
from flows.orchestration import DATA_PIPELINE_DEPLOYMENT
from flows.settings import FlowSettings
from shared.objectstore import ObjectStore
from tests.deploy.test_terraform_services import MODULES, declared, directory_blocks

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecom-qa:0123abcd"


@pytest.fixture
def settings(tmp_path: Path) -> FlowSettings:
    return FlowSettings(
        _env_file=None,
        data_dir=tmp_path,
        data_pipeline_schedule="*/2 * * * *",
        generate_interval_minutes=7,
    )


def schedules(deployment: Any) -> list[tuple[Any, ...]]:
    """Each schedule's cron or interval and time zone (not the interval's anchor: built now)."""
    return [
        (
            getattr(s.schedule, "cron", None),
            getattr(s.schedule, "interval", None),
            s.schedule.timezone,
            s.active,
        )
        for s in deployment.schedules
    ]


def test_module_entrypoint() -> None:
    assert module_entrypoint("flows/orchestration.py:data_pipeline") == (
        "flows.orchestration.data_pipeline"
    )
    assert module_entrypoint("./flows/operator_actions.py:replay") == (
        "flows.operator_actions.replay"
    )
    assert module_entrypoint("flows.orchestration.data_pipeline") == (
        "flows.orchestration.data_pipeline"
    )


def test_every_deployment_is_on_the_work_pool_with_the_same_schedule_and_limit(
    settings: FlowSettings,
) -> None:
    local = all_deployments(settings)
    ecs = work_pool_deployments(settings, ECS_WORK_POOL, IMAGE)
    assert [(d.flow_name, d.name) for d in ecs] == [(d.flow_name, d.name) for d in local]
    assert len(ecs) >= 7
    for here, there in zip(local, ecs, strict=True):
        assert schedules(there) == schedules(here), there.name
        assert there.concurrency_limit == here.concurrency_limit, there.name
        assert there.concurrency_options == here.concurrency_options, there.name
        assert there.parameters == here.parameters, there.name
        assert there.work_pool_name == ECS_WORK_POOL
        assert there.job_variables["image"] == IMAGE
        # A module path: the code is the image's installed package, not files to pull.
        assert ":" not in str(there.entrypoint)
        flow: Any = load_flow_from_entrypoint(str(there.entrypoint))
        assert flow.name == there.flow_name, there.entrypoint
    scheduled = {d.name for d in ecs if d.schedules}
    assert {"data-pipeline", "generate-orders", "dispatch-notifications"} <= scheduled


def test_the_work_pool_is_the_one_terraform_runs_the_ecs_worker_for() -> None:
    variables = directory_blocks(MODULES / "aws", "variable")
    assert variables["work_pool"]["default"] == ECS_WORK_POOL
    worker = declared()["prefect-worker"]["command"]
    assert worker[worker.index("--pool") + 1] == "${var.work_pool}"
    assert worker[worker.index("--type") + 1] == ECS_WORKER_TYPE
    flows = declared()["flows"]["command"]
    assert flows[flows.index("--work-pool") + 1] == "${var.work_pool}"
    calls = directory_blocks(MODULES / "aws", "module")
    assert calls["prefect_worker"]["work_pool"] == "${var.work_pool}"
    # The pool takes an image per deployment (else `apply(image=...)` would be refused).
    template = base_job_template(ECS_WORKER_TYPE)
    assert "image" in template["variables"]["properties"]


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[str]:
    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


async def test_registering_creates_the_ecs_pool_and_every_deployment_on_it(
    prefect_api: str, settings: FlowSettings
) -> None:
    names = await asyncio.to_thread(register_on_work_pool, settings, ECS_WORK_POOL, IMAGE)
    # Built off the event loop: `to_deployment` called from async code returns a coroutine.
    local_deployments = await asyncio.to_thread(all_deployments, settings)
    assert names == [f"{d.flow_name}/{d.name}" for d in local_deployments]
    async with get_client() as client:
        pool = await client.read_work_pool(ECS_WORK_POOL)
        assert pool.type == ECS_WORKER_TYPE
        for name, local in zip(names, local_deployments, strict=True):
            registered = await client.read_deployment_by_name(name)
            assert registered.work_pool_name == ECS_WORK_POOL
            assert registered.job_variables == {"image": IMAGE}
            assert registered.entrypoint == module_entrypoint(str(local.entrypoint))
            assert registered.path is None
            assert schedules(registered) == schedules(local), name
            limit = registered.global_concurrency_limit
            assert (limit.limit if limit else None) == local.concurrency_limit, name
            assert registered.concurrency_options == local.concurrency_options, name
    # Twice is fine: the pool exists, the deployments are updated in place.
    await ensure_work_pool(ECS_WORK_POOL)
    again = await asyncio.to_thread(register_on_work_pool, settings, ECS_WORK_POOL, IMAGE)
    assert again == names


def test_an_image_needs_a_work_pool() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "flows", "serve", "--image", IMAGE],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "--image needs --work-pool" in result.stderr


async def test_on_a_work_pool_new_landing_files_start_a_pipeline_run_there(
    prefect_api: str, tmp_path: Path
) -> None:
    """`ecom flows serve --work-pool` watches landing/ and starts data_pipeline on the pool
    (a scheduled run for the ECS worker; no worker runs here)."""
    settings = FlowSettings(_env_file=None, data_dir=tmp_path, landing_poll_seconds=0.2)
    await asyncio.to_thread(register_on_work_pool, settings, ECS_WORK_POOL, IMAGE)
    ObjectStore.from_settings(settings).write_atomic("landing/batch-1/orders.csv", b"id\n1\n")
    async with get_client() as client:
        deployment = await client.read_deployment_by_name(DATA_PIPELINE_DEPLOYMENT)
        watcher = asyncio.create_task(watch_landing(settings))
        try:
            runs: list[Any] = []
            for _ in range(100):
                await asyncio.sleep(0.1)
                runs = await client.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
                )
                if runs:
                    break
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
    assert len(runs) == 1
    assert runs[0].work_pool_name == ECS_WORK_POOL


async def test_without_an_image_the_deployments_go_to_a_local_process_pool(
    prefect_api: str, settings: FlowSettings
) -> None:
    names = await asyncio.to_thread(register_on_work_pool, settings, "ecom-local")
    async with get_client() as client:
        pool = await client.read_work_pool("ecom-local")
        assert pool.type == PROCESS_WORKER_TYPE
        for name in names:
            registered = await client.read_deployment_by_name(name)
            assert registered.work_pool_name == "ecom-local"
            assert registered.job_variables == {}
            assert ":" not in str(registered.entrypoint)
    # The ECS pool without an image would run Prefect's own image: refused.
    await ensure_work_pool(ECS_WORK_POOL, ECS_WORKER_TYPE)
    with pytest.raises(WorkPoolTypeError, match="give --image"):
        await ensure_work_pool(ECS_WORK_POOL, PROCESS_WORKER_TYPE)
