"""Deployments on a real Prefect server started as `ecom up` starts it, run by the real flows
runner (`ecom flows serve`): scheduled runs fire, and a runner killed while its run holds the
deployment's concurrency slot does not block the deployment after it starts again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import DeploymentScheduleUpdate, DeploymentUpdate
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import DeploymentResponse
from prefect.client.schemas.schedules import IntervalSchedule

from deploy.cli.prefect_env import prefect_environment, prefect_server_command
from flows.orchestration import DATA_PIPELINE_DEPLOYMENT
from shared.owners import Owner
from tests.conftest import TestDatabase, free_port
from tests.deploy.cli.test_commands import processes_mentioning

SERVER_STARTUP_S = 120
SCHEDULE_EVERY_S = 10
RUNNER_STARTUP_S = 60
RUN_BUDGET_S = 90  # generous for a busy 2-core machine; a run takes seconds alone
HOLDING_A_SLOT = {StateType.PENDING, StateType.RUNNING}
FINAL = {StateType.COMPLETED, StateType.CANCELLED, StateType.FAILED, StateType.CRASHED}
YEARLY = "0 0 1 1 *"
SCHEDULED_FLOWS = (
    "DATA_PIPELINE",
    "LOYALTY_RECOMMENDATIONS",
    "TRUST_TRANSPARENCY",
    "DISPATCH_NOTIFICATIONS",
)


def _clean_env() -> dict[str, str]:
    """This machine's environment without ECOM_ or PREFECT_ settings (a fresh shell)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("ECOM_", "PREFECT_"))}


def _stop_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send `sig` to the process group of `process` and reap it."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class PrefectServer:
    """The Prefect server process, started with the command and environment of `ecom up`."""

    data_dir: Path
    api_url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """One Prefect server for this module, on a free loopback port."""
    data_dir = tmp_path_factory.mktemp("ecom-up")
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    with open(data_dir / "prefect-server.log", "wb") as log:
        process = subprocess.Popen(
            prefect_server_command(port),
            env={**_clean_env(), **prefect_environment(data_dir, api_url)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = PrefectServer(data_dir, api_url, process)
    try:
        deadline = time.monotonic() + SERVER_STARTUP_S
        while not _healthy(api_url):
            assert process.poll() is None, (data_dir / "prefect-server.log").read_text()
            assert time.monotonic() < deadline, "the Prefect server did not start"
            time.sleep(0.3)
        yield server
    finally:
        _stop_group(process, signal.SIGTERM)
    log_text = (data_dir / "prefect-server.log").read_text()
    assert "Traceback" not in log_text, f"the Prefect server logged an error:\n{log_text[-3000:]}"


def _healthy(api_url: str) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class FlowsRunner:
    """`ecom flows serve` as `ecom up` runs it, with its landing watcher off."""

    def __init__(self, server: PrefectServer, database: TestDatabase, work_dir: Path) -> None:
        self.log = work_dir / "flows.log"
        self.env = {
            **_clean_env(),
            **prefect_environment(server.data_dir, server.api_url),
            "ECOM_DATA_DIR": str(work_dir),
            "ECOM_DATABASE_URL": database.role_url(Owner.FLOWS),
            "ECOM_OBJECT_STORE_URL": (work_dir / "lake").as_uri(),
            "ECOM_LANDING_POLL_SECONDS": "0",
            # Only the runs a test starts or schedules: every other schedule once a year.
            **{f"ECOM_{name}_SCHEDULE": YEARLY for name in SCHEDULED_FLOWS},
            "ECOM_GENERATE_INTERVAL_MINUTES": str(60 * 24 * 365),
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the runner and wait until it polls for runs."""
        served_before = self.log_text().count("polling for scheduled runs")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "deploy.cli", "flows", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + RUNNER_STARTUP_S
        while self.log_text().count("polling for scheduled runs") == served_before:
            assert self.process.poll() is None, self.log_text()
            assert time.monotonic() < deadline, self.log_text()
            time.sleep(0.2)

    def kill(self, flow_run_id: UUID) -> None:
        """Stop abruptly: SIGKILL the runner, its process group and the run's own process."""
        assert self.process is not None
        _stop_group(self.process, signal.SIGKILL)
        for pid in _pids_mentioning(str(flow_run_id)):
            os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop gracefully (as Ctrl-C of `ecom up` does)."""
        if self.process is not None and self.process.poll() is None:
            _stop_group(self.process, signal.SIGTERM)

    def log_text(self) -> str:
        """What the runner printed so far."""
        return self.log.read_text() if self.log.exists() else ""


def _pids_mentioning(text: str) -> list[int]:
    """Live processes whose command line or environment contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().decode(errors="replace")
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if text in environ or text in cmdline:
            found.append(int(entry.name))
    return found


@pytest.fixture
async def client(prefect_server: PrefectServer) -> AsyncIterator[PrefectClient]:
    """A Prefect API client of the module's server."""
    async with PrefectClient(prefect_server.api_url) as prefect:
        yield prefect


@pytest.fixture
def runner(
    prefect_server: PrefectServer, database: TestDatabase, tmp_path: Path
) -> Iterator[FlowsRunner]:
    """A flows runner for one test; stopped afterwards."""
    flows_runner = FlowsRunner(prefect_server, database, tmp_path)
    try:
        yield flows_runner
    finally:
        flows_runner.stop()


async def _wait_for_state(
    client: PrefectClient, run_id: UUID, states: set[StateType], budget_s: float = RUN_BUDGET_S
) -> FlowRun:
    deadline = time.monotonic() + budget_s
    while True:
        run = await client.read_flow_run(run_id)
        if run.state and run.state.type in states:
            return run
        assert time.monotonic() < deadline, f"run {run.name} stayed {run.state}"
        await asyncio.sleep(0.05)


async def _held_slots(client: PrefectClient, deployment: DeploymentResponse) -> int:
    assert deployment.global_concurrency_limit is not None
    limit = await client.read_global_concurrency_limit_by_name(
        deployment.global_concurrency_limit.name
    )
    return limit.active_slots


async def test_runner_killed_while_its_run_holds_the_slot_recovers_it_on_restart(
    client: PrefectClient, runner: FlowsRunner
) -> None:
    runner.start()
    deployment = await client.read_deployment_by_name(DATA_PIPELINE_DEPLOYMENT)
    interrupted = await client.create_flow_run_from_deployment(deployment.id)
    holding = await _wait_for_state(client, interrupted.id, HOLDING_A_SLOT)

    runner.kill(interrupted.id)
    left = await client.read_flow_run(interrupted.id)
    slots_left_held = await _held_slots(client, deployment)
    runner.start()
    next_run = await client.create_flow_run_from_deployment(deployment.id)
    finished = await _wait_for_state(client, next_run.id, FINAL)
    orphan = await client.read_flow_run(interrupted.id)

    assert holding.state is not None
    assert left.state is not None
    assert left.state.type in HOLDING_A_SLOT, "the kill left the run unfinished"
    assert slots_left_held == 1, "and its concurrency slot taken"
    assert finished.state is not None
    assert finished.state.type is StateType.COMPLETED, finished.state.message
    assert orphan.state is not None
    assert orphan.state.type is StateType.CRASHED, "the abandoned run shows as a failure"
    assert await _held_slots(client, deployment) == 0
    assert f"run {interrupted.name} was left" in runner.log_text(), "the runner's log says so"
    assert processes_mentioning(str(interrupted.id)) == []


async def test_a_scheduled_run_fires_and_completes(
    client: PrefectClient, runner: FlowsRunner
) -> None:
    runner.start()
    deployment = await client.read_deployment_by_name(DATA_PIPELINE_DEPLOYMENT)
    by_deployment = DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
    earlier = {run.id for run in await client.read_flow_runs(deployment_filter=by_deployment)}
    # Every few seconds from now on: the server's scheduler service must create the runs (only
    # ever in its future, however late it looks) and the runner start them; none is triggered.
    schedule = IntervalSchedule(interval=timedelta(seconds=SCHEDULE_EVERY_S))
    # As an edit in the UI does: the schedule replaced, the deployment marked updated.
    await client.update_deployment(
        deployment.id,
        DeploymentUpdate(schedules=[DeploymentScheduleUpdate(schedule=schedule, active=True)]),
    )

    deadline = time.monotonic() + RUN_BUDGET_S
    while True:
        runs = await client.read_flow_runs(deployment_filter=by_deployment)
        new = [run for run in runs if run.id not in earlier]
        completed = [run for run in new if run.state and run.state.type is StateType.COMPLETED]
        if completed:
            break
        assert time.monotonic() < deadline, [(r.expected_start_time, r.state) for r in new]
        await asyncio.sleep(0.5)

    assert all(run.auto_scheduled for run in new), "created by the scheduler, not triggered"
