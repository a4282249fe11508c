"""`ecom up` operated as an operator would: a killed service comes back while the others keep
answering, every log line of every process is JSON, `ecom status --json` and `ecom down`.

The data directory is a fresh `mkdtemp()` folder made 0755, outside pytest's temporary root:
as root that root is 0700 and the embedded PostgreSQL's own user could not reach into it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import free_port
from tests.deploy.cli.test_commands import ecom, ecom_env, processes_mentioning

STARTUP_BUDGET_S = 300
RESTART_BUDGET_S = 120


def status(env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    result = ecom("status", "--json", env=env, timeout=60)
    return result.returncode, json.loads(result.stdout)


def component(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in report["components"] if c["name"] == name)
    return found


def test_a_killed_service_is_restarted_logs_are_json_and_status_and_down_work() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="ecom-up-ops-"))
    data_dir.chmod(0o755)
    gateway_port = free_port()
    env = ecom_env(
        data_dir,
        ECOM_EMBEDDED_PG_PORT=str(free_port()),
        ECOM_GATEWAY_PORT=str(gateway_port),
        ECOM_ADMIN_PORT=str(free_port()),
        ECOM_REMINDERS_PORT=str(free_port()),
        ECOM_LOYALTY_PORT=str(free_port()),
        ECOM_TRANSPARENCY_PORT=str(free_port()),
        ECOM_PREFECT_PORT=str(free_port()),
        ECOM_LOG_FORMAT="json",
        ECOM_LOG_LEVEL="INFO",
    )
    console = data_dir / "up.out"
    gateway = f"http://127.0.0.1:{gateway_port}"
    with open(console, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "deploy.cli", "up"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        started = time.monotonic()
        while "Ctrl-C stops everything" not in console.read_text():
            assert process.poll() is None, console.read_text()
            assert time.monotonic() - started < STARTUP_BUDGET_S, console.read_text()
            time.sleep(0.5)
        token = re.search(r"^  (eyJ\S+)$", console.read_text(), re.MULTILINE)
        assert token, console.read_text()
        auth = {"Authorization": f"Bearer {token.group(1)}"}

        code, report = status(env)
        assert code == 0, report
        assert report["ready"] is True
        assert report["all_up"] is True
        names = {c["name"] for c in report["components"]}
        assert {"admin", "gateway", "loyalty", "prefect-server", "postgresql"} <= names
        assert component(report, "gateway")["port"] == gateway_port
        assert report["pipeline"]["last_run"]["state"] == "Completed", report["pipeline"]
        assert report["pipeline"]["freshness_s"] >= 0

        admin_pid = component(report, "admin")["pid"]
        os.kill(admin_pid, signal.SIGKILL)
        # The others keep answering while admin is down and while it comes back.
        deadline = time.monotonic() + RESTART_BUDGET_S
        while True:
            loyalty = httpx.get(f"{gateway}/api/loyalty/segments", headers=auth, timeout=10)
            assert loyalty.status_code == 200, loyalty.text
            code, report = status(env)
            admin = component(report, "admin")
            if admin["state"] == "up" and admin["pid"] != admin_pid:
                break
            assert time.monotonic() < deadline, report
            time.sleep(1)
        assert admin["restarts"] == 1
        assert code == 0, report
        assert process.poll() is None, "ecom up kept running"
        revenue = httpx.get(f"{gateway}/api/admin/kpis/daily-revenue", headers=auth, timeout=10)
        assert revenue.status_code == 200, revenue.text
        assert (
            "admin stopped (killed by SIGKILL); restarting in 1 s (restart 1 of at most 5"
            " within 300 s); the other components keep running." in console.read_text()
        )

        # The access line is written once the response is sent: give it a moment.
        gateway_log = data_dir / "logs" / "gateway.log"
        deadline = time.monotonic() + 15
        while revenue.headers["x-request-id"] not in gateway_log.read_text():
            assert time.monotonic() < deadline, gateway_log.read_text()[-3000:]
            time.sleep(0.2)
        logs = sorted((data_dir / "logs").glob("*.log"))
        assert {p.stem for p in logs} >= {"admin", "gateway", "loyalty", "prefect-server", "flows"}
        by_log: dict[str, list[dict[str, Any]]] = {}
        for path in logs:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            lines = path.read_text().splitlines()
            by_log[path.stem] = [json.loads(line) for line in lines]  # every line parses
            for entry in by_log[path.stem]:
                assert {"time", "level", "logger", "message"} <= set(entry), (path, entry)
        access = [e for e in by_log["gateway"] if e["logger"] == "gateway.access"]
        revenue_line = next(e for e in access if e["path"] == "/api/admin/kpis/daily-revenue")
        assert revenue_line["status"] == 200
        assert revenue_line["upstream"] == "admin"
        assert revenue_line["request_id"] == revenue.headers["x-request-id"]
        assert revenue_line["caller"] == "admin:local-admin"
        assert any("started again" in e["message"] for e in by_log["admin"])
        # ECOM_LOG_LEVEL=INFO reaches the services (uvicorn's level was fixed at warning).
        for service in ("admin", "loyalty", "reminders", "transparency", "gateway"):
            assert any(
                e["message"] == "Application startup complete." and e["level"] == "INFO"
                for e in by_log[service]
            ), service
    finally:
        down = ecom("down", env=env, timeout=120)
        try:
            exit_code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            exit_code = process.wait()

    try:
        assert down.returncode == 0, down.stderr
        assert "stopped" in down.stdout
        assert exit_code == 0, console.read_text()
        after, report = status(env)
        assert after == 3
        assert report == {"running": False, "data_dir": str(data_dir)}
        deadline = time.monotonic() + 10
        while processes_mentioning(str(data_dir)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_mentioning(str(data_dir)) == []
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
