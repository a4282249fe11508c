"""Gateway throughput: requests/s through the gateway divided by requests/s direct to a service.

The service is the real admin service answering `GET /api/admin/kpis/daily-revenue` (one page
of 50 rows) from an embedded PostgreSQL. Both figures come from the same run, the same service
process and the same load generator (wrk, 50 connections), measured alternately so that drift
hits both sides alike. DESIGN.md's target is a ratio of at least 0.85.

    python -m benchmarks.gateway_throughput [--seconds 10] [--rounds 2]

Needs `wrk` on PATH (Debian: `apt-get install wrk`); a Python load generator would compete for
the same two cores and measure itself rather than the gateway.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from shared.bootstrap import init_database
from shared.database import with_login
from shared.embedded_postgres import EmbeddedPostgres
from shared.identity import ASSERTION_HEADER, Principal, Role, issue_token, sign_assertion
from shared.owners import OWNERSHIP, Owner

JWT_SECRET = "benchmark-jwt-secret-long-enough-0000000"
INTERNAL_SECRET = "benchmark-internal-secret-long-enough-00"
PATH = "/api/admin/kpis/daily-revenue"
MART_DAYS = 120
CONNECTIONS = 50


@dataclass(frozen=True)
class WrkResult:
    """What wrk measured."""

    requests_per_s: float
    p99_ms: float


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start(args: list[str], env: dict[str, str], url: str, stack: ExitStack) -> int:
    """Start `args`, stopped when `stack` closes; its pid once `url` answers."""
    process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    stack.callback(process.wait)
    stack.callback(process.terminate)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return process.pid
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{args} did not start")


def _wrk(url: str, seconds: int, headers: dict[str, str]) -> WrkResult:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not on PATH; install it (apt-get install wrk) and run again")
    args = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run(  # noqa: S603 - fixed arguments
        [*args, url], capture_output=True, text=True, check=True
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    if not rate or not p99 or "Non-2xx" in output:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return WrkResult(float(rate.group(1)), float(p99.group(1)) * scale)


async def _seed_mart(flows_url: str) -> None:
    connection = await asyncpg.connect(flows_url)
    try:
        await connection.execute(
            """
            INSERT INTO admin.mart_daily_revenue (order_date, channel, region, orders,
                cancelled_orders, net_revenue, average_order_value, currency)
            SELECT current_date - day, channel, region, 10, 1, 1234.50, 123.45, 'USD'
            FROM generate_series(0, $1 - 1) AS day,
                 unnest(ARRAY['web', 'mobile', 'stockist', 'distributor']) AS channel,
                 unnest(ARRAY['north', 'south', 'east', 'west']) AS region
            """,
            MART_DAYS,
        )
    finally:
        await connection.close()


def _start_database(data_dir: Path, stack: ExitStack) -> dict[Owner, str]:
    """An embedded PostgreSQL with the platform's schemas and a filled revenue mart."""
    server = EmbeddedPostgres(data_dir / "postgres", _free_port())
    server.start()
    stack.callback(server.discard)
    passwords = {owner: f"bench-{owner.value}" for owner in Owner}
    asyncio.run(init_database(server.url, "datamart", passwords))
    urls = {
        owner: with_login(server.url, OWNERSHIP[owner].role, passwords[owner], "datamart")
        for owner in Owner
    }
    asyncio.run(_seed_mart(urls[Owner.FLOWS]))
    return urls


def main() -> None:
    """Start the admin service and a gateway, measure both paths alternately, print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="ecom-bench-"))
    data_dir.chmod(0o755)
    service_port, gateway_port = _free_port(), _free_port()
    direct_url = f"http://127.0.0.1:{service_port}{PATH}"
    gateway_url = f"http://127.0.0.1:{gateway_port}{PATH}"
    env = {
        **os.environ,
        "ECOM_DATA_DIR": str(data_dir),
        "ECOM_JWT_SECRET": JWT_SECRET,
        "ECOM_INTERNAL_SECRET": INTERNAL_SECRET,
        "ECOM_ADMIN_SERVICE_URL": f"http://127.0.0.1:{service_port}",
        "ECOM_ADMIN_PORT": str(service_port),
        "ECOM_GATEWAY_PORT": str(gateway_port),
        "ECOM_LOG_LEVEL": "WARNING",
        # The rate limit stays switched on, at a rate one benchmark client never reaches.
        "ECOM_RATE_LIMIT_PER_S": "1000000",
        "ECOM_RATE_LIMIT_BURST": "1000000",
    }
    caller = Principal(sub="bench", role=Role.VIEWER)
    through_gateway = {"Authorization": f"Bearer {issue_token(JWT_SECRET, caller.role, 'bench')}"}
    ecom = [sys.executable, "-m", "deploy.cli", "serve"]
    with ExitStack() as stack:
        urls = _start_database(data_dir, stack)
        _start([*ecom, "admin"], {**env, "ECOM_DATABASE_URL": urls[Owner.ADMIN]}, direct_url, stack)
        _start([*ecom, "gateway"], env, gateway_url, stack)
        direct, through = [], []
        for round_number in range(options.rounds + 1):
            # What the gateway would forward; assertions live a minute, so sign one per round.
            as_gateway = {ASSERTION_HEADER: sign_assertion(caller, INTERNAL_SECRET)}
            seconds = 2 if round_number == 0 else options.seconds  # round 0 warms both paths up
            measured = (
                _wrk(direct_url, seconds, as_gateway),
                _wrk(gateway_url, seconds, through_gateway),
            )
            if round_number:
                direct.append(measured[0])
                through.append(measured[1])

    direct_rate = statistics.median(r.requests_per_s for r in direct)
    gateway_rate = statistics.median(r.requests_per_s for r in through)
    print(f"direct : {direct_rate:8.0f} req/s  p99 {max(r.p99_ms for r in direct):6.1f} ms")
    print(f"gateway: {gateway_rate:8.0f} req/s  p99 {max(r.p99_ms for r in through):6.1f} ms")
    print(f"gateway / direct = {gateway_rate / direct_rate:.2f}  (target >= 0.85)")


if __name__ == "__main__":
    main()
