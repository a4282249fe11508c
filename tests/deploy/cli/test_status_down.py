"""`ecom status` and `ecom down` against a recorded stack: real processes, a real HTTP health
endpoint, the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from deploy.cli.stack_state import read_state, state_path, write_state
from shared.database import embedded_server
from shared.settings import EcomSettings
from tests.conftest import free_port
from tests.deploy.cli.test_commands import ecom, ecom_env
from tests.servers import ThreadedServers


@pytest.fixture
def health_url() -> Iterator[str]:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    servers = ThreadedServers()
    yield f"{servers.start(app)}/healthz"
    servers.stop_all()


@pytest.fixture
def fake_up() -> Iterator[subprocess.Popen[bytes]]:
    """A process that looks like `ecom up` (its arguments include `up`) and stops on SIGTERM."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "up"])
    yield process
    process.kill()
    process.wait()


def sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])


def record(data_dir: Path, up_pid: int, components: dict[str, dict[str, object]]) -> None:
    write_state(
        data_dir,
        {
            "pid": up_pid,
            "started_at": "2026-01-01T00:00:00+00:00",
            "ready": True,
            "data_dir": str(data_dir),
            "components": components,
            "postgresql": None,
            "prefect_api_url": None,
        },
    )


def test_nothing_recorded_is_not_running(tmp_path: Path) -> None:
    env = ecom_env(tmp_path)
    result = ecom("status", env=env)
    assert result.returncode == 3
    assert f"not running (no `ecom up` for {tmp_path})" in result.stdout
    assert json.loads(ecom("status", "--json", env=env).stdout)["running"] is False


def test_a_state_left_by_a_dead_ecom_up_is_not_running_and_down_clears_it(tmp_path: Path) -> None:
    gone = sleeper()
    gone.kill()
    gone.wait()
    record(tmp_path, gone.pid, {})
    env = ecom_env(tmp_path)
    assert ecom("status", env=env).returncode == 3
    down = ecom("down", env=env)
    assert down.returncode == 0
    assert "nothing to stop" in down.stdout
    assert not state_path(tmp_path).exists()


def test_status_reports_each_component_and_exits_1_while_one_is_down(
    tmp_path: Path, health_url: str, fake_up: subprocess.Popen[bytes]
) -> None:
    running, dead = sleeper(), sleeper()
    dead.kill()
    dead.wait()
    try:
        components: dict[str, dict[str, object]] = {
            "gateway": {"pid": running.pid, "port": 8000, "health_url": health_url},
            "admin": {"pid": dead.pid, "port": 8001, "health_url": health_url, "restarts": 2},
        }
        record(tmp_path, fake_up.pid, components)
        env = ecom_env(tmp_path)
        result = ecom("status", "--json", env=env)
        assert result.returncode == 1, result.stderr
        report = json.loads(result.stdout)
        states = {c["name"]: (c["state"], c["port"], c["restarts"]) for c in report["components"]}
        assert states == {"gateway": ("up", 8000, 0), "admin": ("down", 8001, 2)}
        assert report["all_up"] is False
        text = ecom("status", env=env)
        assert text.returncode == 1
        assert "admin" in text.stdout
        assert "down" in text.stdout
        assert "restarts 2" in text.stdout

        components["admin"]["pid"] = running.pid  # restarted
        record(tmp_path, fake_up.pid, components)
        assert ecom("status", env=env).returncode == 0
    finally:
        running.kill()
        running.wait()


def test_down_stops_the_recorded_ecom_up(tmp_path: Path, fake_up: subprocess.Popen[bytes]) -> None:
    record(tmp_path, fake_up.pid, {})
    assert read_state(tmp_path) is not None
    assert oct(state_path(tmp_path).stat().st_mode & 0o777) == "0o600"
    result = ecom("down", env=ecom_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "stopped" in result.stdout
    assert fake_up.wait(timeout=10) == -15  # SIGTERM, what Ctrl-C handling in `ecom up` expects


def test_down_after_a_killed_ecom_up_stops_the_embedded_server_it_left(tmp_path: Path) -> None:
    env = ecom_env(tmp_path, ECOM_EMBEDDED_PG_PORT=str(free_port()))
    settings = EcomSettings(data_dir=tmp_path, embedded_pg_port=int(env["ECOM_EMBEDDED_PG_PORT"]))
    server = embedded_server(settings)
    server.start()
    try:
        gone = sleeper()
        gone.kill()
        gone.wait()
        write_state(
            tmp_path,
            {"pid": gone.pid, "components": {}, "postgresql": {"port": server.port}},
        )
        result = ecom("down", env=env)
        assert result.returncode == 0, result.stderr
        assert "stopping the embedded PostgreSQL a killed `ecom up` left running" in result.stderr
        assert not server.is_running()
        assert not state_path(tmp_path).exists()
    finally:
        server.discard()
