"""The `ecom` command line as a new user runs it: embedded defaults, real processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from flows.gold.marts import MARTS
from tests.conftest import free_port

STARTUP_BUDGET_S = 300  # a bound for a hung start, not a speed test (ECOM_STARTUP_TIMEOUT_S is 240)


def ecom_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh machine: no ECOM_ settings but the ones given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECOM_", "PREFECT_"))}
    env.update({"ECOM_DATA_DIR": str(data_dir), "ECOM_LOG_LEVEL": "WARNING", **extra})
    return env


def ecom(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes whose command line or environment contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (entry / "environ").read_bytes().decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if state != "Z" and (text in cmdline or text in environ):
            found.append(cmdline)
    return found


def test_db_init_twice_in_a_row_on_the_embedded_server(tmp_path: Path) -> None:
    env = ecom_env(tmp_path, ECOM_EMBEDDED_PG_PORT=str(free_port()))
    first = ecom("db", "init", env=env)
    second = ecom("db", "init", env=env)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "initialised and migrated" in second.stdout
    assert processes_mentioning(str(tmp_path)) == [], "db init stops the server it started"


def test_token_create_prints_a_token_the_platform_accepts(tmp_path: Path) -> None:
    result = ecom(
        "token", "create", "--role", "viewer", env=ecom_env(tmp_path, ECOM_JWT_SECRET="s" * 40)
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+\n", result.stdout)


def test_unknown_role_is_refused_with_the_choices(tmp_path: Path) -> None:
    result = ecom("token", "create", "--role", "root", env=ecom_env(tmp_path))
    assert result.returncode != 0
    assert "viewer" in result.stderr


def test_up_serves_revenue_reminders_segments_and_trust_metrics_and_ctrl_c_stops_everything(
    tmp_path: Path,
) -> None:
    gateway_port = free_port()
    env = ecom_env(
        tmp_path,
        ECOM_EMBEDDED_PG_PORT=str(free_port()),
        ECOM_GATEWAY_PORT=str(gateway_port),
        ECOM_ADMIN_PORT=str(free_port()),
        ECOM_REMINDERS_PORT=str(free_port()),
        ECOM_LOYALTY_PORT=str(free_port()),
        ECOM_TRANSPARENCY_PORT=str(free_port()),
        ECOM_PREFECT_PORT=str(free_port()),
    )
    log = tmp_path / "up.out"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "deploy.cli", "up"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        started = time.monotonic()
        while "Ctrl-C stops everything" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() - started < STARTUP_BUDGET_S, log.read_text()
            time.sleep(0.5)
        token = re.search(r"^  (eyJ\S+)$", log.read_text(), re.MULTILINE)
        assert token, log.read_text()
        url = f"http://127.0.0.1:{gateway_port}/api/admin/kpis/daily-revenue"
        served = httpx.get(url, headers={"Authorization": f"Bearer {token.group(1)}"})
        anonymous = httpx.get(url)
        reminders = httpx.get(
            f"http://127.0.0.1:{gateway_port}/api/reminders/configurations",
            headers={"Authorization": f"Bearer {token.group(1)}"},
        )
        trust = httpx.get(
            f"http://127.0.0.1:{gateway_port}/api/trust/metrics",
            headers={"Authorization": f"Bearer {token.group(1)}"},
        )
        segments = httpx.get(
            f"http://127.0.0.1:{gateway_port}/api/loyalty/segments",
            headers={"Authorization": f"Bearer {token.group(1)}"},
        )
    finally:
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)  # an impatient second Ctrl-C changes nothing
        exit_code = process.wait(timeout=60)

    assert served.status_code == 200, served.text
    assert served.json()["data"], "the first batch reached the mart"
    assert anonymous.status_code == 401
    assert reminders.status_code == 200, reminders.text
    assert reminders.json()["count"] > 0, "`ecom up` seeds the reminders tables"
    assert trust.status_code == 200, trust.text
    assert trust.json()["data"], "the first trust-transparency run filled the metrics"
    assert segments.status_code == 200, segments.text
    assert segments.json()["customers"] > 0, "the first batch reached the customer summary"
    assert exit_code == 0, log.read_text()
    deadline = time.monotonic() + 10
    while processes_mentioning(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_mentioning(str(tmp_path)) == []


def test_generate_writes_a_reproducible_batch_and_reports_it(tmp_path: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        env = ecom_env(tmp_path / name)
        result = ecom(
            "generate", "--orders", "40", "--seed", "8", "--as-of", "2026-11-20T12:00:00Z", env=env
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
        orders = sorted((tmp_path / name / "lake" / "landing" / "orders").iterdir())
        assert orders[0].name == "orders_000001-20261120T120000Z.csv"

    assert outputs[0] == outputs[1]
    assert "batch 000001-20261120T120000Z: 40 new orders" in outputs[0]
    one, two = (tmp_path / n / "lake" / "landing" / "orders" for n in ("one", "two"))
    assert [p.read_bytes() for p in sorted(one.iterdir())] == [
        p.read_bytes() for p in sorted(two.iterdir())
    ]


def test_generate_explains_a_clock_that_goes_backwards(tmp_path: Path) -> None:
    env = ecom_env(tmp_path)
    assert ecom("generate", "--seed", "1", "--as-of", "2026-11-20", env=env).returncode == 0

    again = ecom("generate", "--as-of", "2026-11-19", env=env)

    assert again.returncode == 2
    assert "not after the previous batch" in again.stderr
    assert "Traceback" not in again.stderr


def test_generate_reference_writes_the_reference_csvs(tmp_path: Path) -> None:
    result = ecom("generate-reference", "--out", str(tmp_path / "ref"), env=ecom_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ref" / "products.csv").read_text().startswith("product_id,sku,name,")


def test_pipeline_run_replay_and_replay_rejects_on_the_embedded_defaults(tmp_path: Path) -> None:
    env = ecom_env(tmp_path, ECOM_EMBEDDED_PG_PORT=str(free_port()))
    assert ecom("generate", "--days", "2", "--seed", "5", env=env).returncode == 0

    uninitialised = ecom("pipeline", "run", env=env)
    assert uninitialised.returncode == 1
    assert "run `ecom db init` first" in uninitialised.stderr

    assert ecom("db", "init", env=env).returncode == 0
    run = ecom("pipeline", "run", env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    read = re.search(r"loaded \d+: read (\d+), inserted (\d+)", run.stdout)
    assert read, run.stdout
    assert int(read[2]) > 0

    replay = ecom("pipeline", "replay", env=env, timeout=300)
    assert replay.returncode == 0, replay.stderr
    assert f"read {read[1]}, inserted {read[2]}," in replay.stdout

    rejects = ecom("pipeline", "replay-rejects", "--rule", "BAD_NUMBER", env=env)
    assert rejects.returncode == 0, rejects.stderr
    assert re.search(r"read (\d+), inserted 0, .* rejected \1 ", rejects.stdout), rejects.stdout

    unknown = ecom("pipeline", "replay-rejects", "--entity", "shoes", env=env)
    assert unknown.returncode == 2
    assert "choose one of distributors" in unknown.stderr

    loyalty = ecom("pipeline", "loyalty-recommendations", env=env, timeout=300)
    assert loyalty.returncode == 0, loyalty.stderr
    rebuilt = [ecom("pipeline", "rebuild-marts", env=env, timeout=300) for _ in range(2)]
    assert [r.returncode for r in rebuilt] == [0, 0], rebuilt[0].stderr
    checksum_line = re.compile(r"^([0-9a-f]{32}|empty)  (\S+)$", re.MULTILINE)
    checksums = [checksum_line.findall(r.stdout) for r in rebuilt]
    assert len(checksums[0]) == len(MARTS)
    assert checksums[0] == checksums[1], "two rebuilds of the same silver are identical"
    assert processes_mentioning(str(tmp_path)) == [], "commands stop the server they started"
