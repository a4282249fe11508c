"""Freshness: seconds from a generated batch landing to its orders in the API, with `ecom up`.

Starts `ecom up` in a temporary data directory on free ports (embedded PostgreSQL, local Prefect
server, services, gateway, flows runner), waits until it is ready, then `--batches` times:
generates the next 30-order batch into landing/ (`ecom generate --clean`: no rejected rows, so
all 30 orders must arrive), and polls
`GET /api/admin/kpis/daily-revenue` through the gateway until today's orders include the batch. The
clock starts when `ecom generate` has written the files. Target (DESIGN.md): <= 15 s.

    python -m benchmarks.freshness [--batches 3] [--keep]

The batch reaches the API through the flows runner's landing watcher (ECOM_LANDING_POLL_SECONDS),
a data_pipeline deployment run, bronze, silver and the incremental revenue mart.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks.silver_load import _free_port

TARGET_S = 15.0
STARTUP_TIMEOUT_S = 600
VISIBLE_TIMEOUT_S = 120


def _env(data_dir: Path, ports: dict[str, int]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECOM_", "PREFECT_"))}
    env.update(
        {
            "ECOM_DATA_DIR": str(data_dir),
            "ECOM_LOG_LEVEL": "WARNING",
            # Only the batches this benchmark writes: no scheduled generator runs in between.
            "ECOM_GENERATE_INTERVAL_MINUTES": "600",
            **{f"ECOM_{name.upper()}_PORT": str(port) for name, port in ports.items()},
        }
    )
    return env


def _orders_in_api(client: httpx.Client, url: str, token: str) -> int:
    """Orders placed today (UTC) in the revenue mart, whatever their status since."""
    today = datetime.now(UTC).date().isoformat()
    page = client.get(
        url,
        params={"from": today, "limit": 100},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    return sum(
        row["orders"] + row["cancelled_orders"] + row["returned_orders"] for row in page["data"]
    )


def main() -> None:
    """Start the platform, time each batch's way to the API, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=3, help="timed batches")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ecom-bench-fresh-"))
    ports = {
        name: _free_port() for name in ("embedded_pg", "gateway", "admin", "reminders", "prefect")
    }
    env = _env(folder, ports)
    log = folder / "up.log"
    started = time.monotonic()
    with open(log, "w") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "deploy.cli", "up"], env=env, stdout=out, stderr=out
        )
    try:
        while "Ctrl-C stops everything" not in log.read_text():
            if up.poll() is not None or time.monotonic() - started > STARTUP_TIMEOUT_S:
                raise SystemExit(f"`ecom up` did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        print(f"ecom up ready in {time.monotonic() - started:.0f} s")
        token_match = re.search(r"^  (eyJ\S+)$", log.read_text(), re.MULTILINE)
        assert token_match, "no admin token in the `ecom up` output"
        token = token_match.group(1)
        url = f"http://127.0.0.1:{ports['gateway']}/api/admin/kpis/daily-revenue"
        seconds = []
        with httpx.Client(timeout=10) as client:
            for batch in range(1, options.batches + 1):
                before = _orders_in_api(client, url, token)
                generated = subprocess.run(
                    [sys.executable, "-m", "deploy.cli", "generate", "--orders", "30", "--clean"],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                landed_at = time.monotonic()
                while (now := _orders_in_api(client, url, token)) < before + 30:
                    if time.monotonic() - landed_at > VISIBLE_TIMEOUT_S:
                        raise SystemExit(f"batch {batch} not visible: {generated.stdout}")
                    time.sleep(0.2)
                seconds.append(time.monotonic() - landed_at)
                visible = seconds[-1]
                print(f"  batch {batch}: {now - before} new orders in the API in {visible:.1f} s")
                time.sleep(3)
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=60)
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)
    median = statistics.median(seconds)
    print(f"freshness (median of {len(seconds)}): {median:.1f} s  (target <= {TARGET_S:.0f} s)")


if __name__ == "__main__":
    main()
