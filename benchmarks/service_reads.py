"""Service reads: each service's busiest read against a bare handler running the same SQL.

For every case in `benchmarks.read_cases`, wrk (50 connections) drives, alternately and in the
same run: (a) the bare Starlette + asyncpg handler (`benchmarks.bare_reads`), (b) the service
directly (with a signed gateway assertion) and (c) the same service through the gateway (with
a bearer token). All processes share one embedded PostgreSQL holding the seeded marts.
DESIGN.md's targets: service / bare >= 0.6, the service's p99 <= 5x its p50, and
gateway / service >= 0.85.

    python -m benchmarks.service_reads [--seconds 10] [--rounds 2] [--case NAME ...]

Needs `wrk` on PATH (Debian: `apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.gateway_throughput import _free_port, _start
from benchmarks.read_cases import CASES, CASES_BY_NAME, ReadCase
from shared.bootstrap import init_database
from shared.database import with_database, with_login
from shared.embedded_postgres import EmbeddedPostgres
from shared.identity import ASSERTION_HEADER, Principal, Role, issue_token, sign_assertion
from shared.owners import OWNERSHIP, Owner

JWT_SECRET = "benchmark-jwt-secret-long-enough-0000000"
INTERNAL_SECRET = "benchmark-internal-secret-long-enough-00"
CONNECTIONS = 50
TARGET_SERVICE_RATIO = 0.6
TARGET_TAIL_RATIO = 5.0
TARGET_GATEWAY_RATIO = 0.85
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Measurement:
    """What wrk measured for one path in one round."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    # CPU time the path's own process spent per request (the gateway's alone on the gateway
    # path): unlike requests/s it barely moves when other work shares the machine.
    cpu_us_per_request: float = math.nan


@dataclass(frozen=True)
class PathResult:
    """One path over all rounds: median rate and latencies."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float

    @classmethod
    def of(cls, rounds: Sequence[Measurement]) -> PathResult:
        """The medians of the rounds (each figure on its own)."""
        return cls(
            statistics.median(m.requests_per_s for m in rounds),
            statistics.median(m.p50_ms for m in rounds),
            statistics.median(m.p99_ms for m in rounds),
            statistics.median(m.cpu_us_per_request for m in rounds),
        )


@dataclass(frozen=True)
class CaseResult:
    """Bare, service and gateway figures of one case, and the ratios DESIGN.md targets."""

    case: str
    bare: PathResult
    service: PathResult
    gateway: PathResult

    @property
    def service_ratio(self) -> float:
        """Service requests/s divided by the bare handler's."""
        return self.service.requests_per_s / self.bare.requests_per_s

    @property
    def tail_ratio(self) -> float:
        """The service's p99 divided by its p50."""
        return self.service.p99_ms / self.service.p50_ms

    @property
    def gateway_ratio(self) -> float:
        """Gateway requests/s divided by the service's direct figure."""
        return self.gateway.requests_per_s / self.service.requests_per_s

    @property
    def meets_targets(self) -> bool:
        """Whether all three ratios meet DESIGN.md's targets."""
        return (
            self.service_ratio >= TARGET_SERVICE_RATIO
            and self.tail_ratio <= TARGET_TAIL_RATIO
            and self.gateway_ratio >= TARGET_GATEWAY_RATIO
        )


def parse_wrk(output: str) -> Measurement:
    """Requests/s, p50 and p99 from `wrk --latency` output; an error if any answer was not 2xx."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    if not rate or not p50 or not p99 or "Non-2xx" in output:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return Measurement(
        float(rate.group(1)),
        float(p50.group(1)) * _UNITS_MS[p50.group(2)],
        float(p99.group(1)) * _UNITS_MS[p99.group(2)],
    )


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc), or NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk(url: str, seconds: int, headers: dict[str, str], process: int) -> Measurement:
    """wrk's figures for `url`, with the CPU time `process` spent per request meanwhile."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not on PATH; install it (apt-get install wrk) and run again")
    args = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    cpu_before = cpu_seconds(process)
    completed = subprocess.run(  # noqa: S603 - fixed arguments
        [*args, url], capture_output=True, text=True, check=True
    )
    measured = parse_wrk(completed.stdout)
    requests = measured.requests_per_s * seconds
    cpu_us = (cpu_seconds(process) - cpu_before) / requests * 1e6 if requests else math.nan
    return replace(measured, cpu_us_per_request=cpu_us)


def _start_database(
    data_dir: Path, cases: Sequence[ReadCase], stack: ExitStack
) -> tuple[str, dict[Owner, str]]:
    """An embedded PostgreSQL with the platform's schemas and every case's data."""
    server = EmbeddedPostgres(data_dir / "postgres", _free_port())
    server.start()
    stack.callback(server.stop)
    passwords = {owner: f"bench-{owner.value}" for owner in Owner}
    asyncio.run(init_database(server.url, "datamart", passwords))
    urls = {
        owner: with_login(server.url, OWNERSHIP[owner].role, passwords[owner], "datamart")
        for owner in Owner
    }
    for case in cases:
        asyncio.run(case.seed(urls))
    return with_database(server.url, "datamart"), urls


def run(cases: Sequence[ReadCase], *, seconds: int, rounds: int) -> list[CaseResult]:
    """Start everything, measure every case's three paths alternately, return the medians."""
    data_dir = Path(tempfile.mkdtemp(prefix="ecom-bench-reads-"))
    data_dir.chmod(0o755)
    owners = sorted({case.owner for case in cases}, key=lambda owner: owner.value)
    ports = {owner: _free_port() for owner in owners}
    bare_port, gateway_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "ECOM_DATA_DIR": str(data_dir),
        "ECOM_JWT_SECRET": JWT_SECRET,
        "ECOM_INTERNAL_SECRET": INTERNAL_SECRET,
        "ECOM_GATEWAY_PORT": str(gateway_port),
        "ECOM_LOG_LEVEL": "WARNING",
        # The rate limit stays switched on, at a rate one benchmark client never reaches.
        "ECOM_RATE_LIMIT_PER_S": "1000000",
        "ECOM_RATE_LIMIT_BURST": "1000000",
    }
    for owner, port in ports.items():
        env[f"ECOM_{owner.value.upper()}_PORT"] = str(port)
        env[f"ECOM_{owner.value.upper()}_SERVICE_URL"] = f"http://127.0.0.1:{port}"
    caller = Principal(sub="bench", role=Role.VIEWER)
    through_gateway = {"Authorization": f"Bearer {issue_token(JWT_SECRET, caller.role, 'bench')}"}
    python = sys.executable
    measured: dict[str, dict[str, list[Measurement]]] = {
        case.name: {"bare": [], "service": [], "gateway": []} for case in cases
    }
    with ExitStack() as stack:
        superuser_url, urls = _start_database(data_dir, cases, stack)
        bare = f"http://127.0.0.1:{bare_port}"
        bare_pid = _start(
            [python, "-m", "benchmarks.bare_reads", superuser_url, str(bare_port)],
            env,
            f"{bare}/healthz",
            stack,
        )
        service_pids: dict[Owner, int] = {}
        for owner, port in ports.items():
            service_pids[owner] = _start(
                [python, "-m", "deploy.cli", "serve", owner.value],
                {**env, "ECOM_DATABASE_URL": urls[owner]},
                f"http://127.0.0.1:{port}/healthz",
                stack,
            )
        gateway_pid = _start(
            [python, "-m", "deploy.cli", "serve", "gateway"],
            env,
            f"http://127.0.0.1:{gateway_port}/healthz",
            stack,
        )
        for round_number in range(rounds + 1):
            span = 2 if round_number == 0 else seconds  # round 0 warms every path up
            for case in cases:
                # What the gateway would forward; assertions live a minute, so sign per run.
                as_gateway = {ASSERTION_HEADER: sign_assertion(caller, INTERNAL_SECRET)}
                direct = f"http://127.0.0.1:{ports[case.owner]}{case.path}"
                results = {
                    "bare": _wrk(f"{bare}{case.path}", span, {}, bare_pid),
                    "service": _wrk(direct, span, as_gateway, service_pids[case.owner]),
                    "gateway": _wrk(
                        f"http://127.0.0.1:{gateway_port}{case.path}",
                        span,
                        through_gateway,
                        gateway_pid,
                    ),
                }
                if round_number:
                    for path, measurement in results.items():
                        measured[case.name][path].append(measurement)
    return [
        CaseResult(
            case.name,
            PathResult.of(measured[case.name]["bare"]),
            PathResult.of(measured[case.name]["service"]),
            PathResult.of(measured[case.name]["gateway"]),
        )
        for case in cases
    ]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (the machine may be shared), or 'unknown'."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def report(results: Sequence[CaseResult]) -> str:
    """The results as a fixed-width table, one block per case, plus the ratios."""
    lines = [
        f"{CONNECTIONS} connections; medians over rounds; load average {load_average()}",
        "cpu us/req: CPU time of that path's own process per request (on the gateway path, the"
        " gateway's alone)",
        f"{'case':28} {'path':8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'cpu us/req':>11}",
    ]
    for result in results:
        for path, figures in (
            ("bare", result.bare),
            ("service", result.service),
            ("gateway", result.gateway),
        ):
            lines.append(
                f"{result.case:28} {path:8} {figures.requests_per_s:8.0f}"
                f" {figures.p50_ms:8.1f} {figures.p99_ms:8.1f} {figures.cpu_us_per_request:11.0f}"
            )
        lines.append(
            f"{'':28} svc/bare {result.service_ratio:.2f} (>= {TARGET_SERVICE_RATIO})"
            f"  p99/p50 {result.tail_ratio:.1f} (<= {TARGET_TAIL_RATIO:g})"
            f"  gw/svc {result.gateway_ratio:.2f} (>= {TARGET_GATEWAY_RATIO})"
            f"  {'ok' if result.meets_targets else 'MISSED'}"
        )
    return "\n".join(lines)


def main() -> None:
    """Parse the options, run the benchmark, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--case", action="append", choices=sorted(CASES_BY_NAME), help="Only these cases."
    )
    options = parser.parse_args()
    cases = [CASES_BY_NAME[name] for name in options.case] if options.case else list(CASES)
    print(report(run(cases, seconds=options.seconds, rounds=options.rounds)))


if __name__ == "__main__":
    main()
