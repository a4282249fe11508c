"""The service-reads benchmark: wrk output parsing, the report, and a tiny real run."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from benchmarks.read_cases import CASES, CASES_BY_NAME
from benchmarks.service_reads import (
    CaseResult,
    Measurement,
    PathResult,
    cpu_seconds,
    parse_wrk,
    report,
    run,
)

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8001/api/admin/kpis/daily-revenue
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    35.10ms   12.00ms 180.00ms   80.00%
    Req/Sec   700.00    100.00     0.90k    70.00%
  Latency Distribution
     50%   31.50ms
     75%   40.00ms
     90%   50.00ms
     99%    1.27s
  7000 requests in 5.00s, 10.00MB read
Requests/sec:   1400.25
Transfer/sec:      2.00MB
"""


def test_wrk_output_gives_rate_p50_and_p99_in_milliseconds() -> None:
    assert parse_wrk(WRK_OUTPUT) == Measurement(1400.25, 31.5, 1270.0)
    assert parse_wrk(WRK_OUTPUT.replace("31.50ms", "950.00us")).p50_ms == pytest.approx(0.95)


def test_wrk_output_with_errors_is_refused() -> None:
    with pytest.raises(RuntimeError, match="unexpected wrk output"):
        parse_wrk(WRK_OUTPUT + "  Non-2xx or 3xx responses: 12\n")
    with pytest.raises(RuntimeError):
        parse_wrk("connection refused")


def test_ratios_and_targets() -> None:
    result = CaseResult(
        "admin-revenue",
        bare=PathResult(1000, 10, 20, 400),
        service=PathResult(700, 20, 90, 600),
        gateway=PathResult(630, 25, 100, 250),
    )
    assert result.service_ratio == pytest.approx(0.7)
    assert result.tail_ratio == pytest.approx(4.5)
    assert result.gateway_ratio == pytest.approx(0.9)
    assert result.meets_targets
    slow_tail = CaseResult("x", result.bare, PathResult(700, 20, 101, 600), result.gateway)
    assert not slow_tail.meets_targets
    table = report([result])
    assert "svc/bare 0.70" in table
    assert "p99/p50 4.5" in table
    assert "gw/svc 0.90" in table
    assert "load average" in table
    assert [line.split()[-1] for line in table.splitlines()[3:6]] == ["400", "600", "250"]


def test_cpu_seconds_of_this_process_grow_with_work() -> None:
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert cpu_seconds(os.getpid()) - before >= 0.1


def test_every_case_pages_with_a_window_count_of_one_default_page() -> None:
    assert set(CASES_BY_NAME) == {
        "admin-revenue",
        "loyalty-recommendations",
        "transparency-trust-scores",
        "reminders-configurations",
    }
    for case in CASES:
        assert "count(*) OVER ()" in case.sql
        assert case.sql.rstrip().endswith("LIMIT 50 OFFSET 0")
        assert case.path.startswith(f"/api/{case.owner.value}/")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (apt-get install wrk)")
def test_a_tiny_run_measures_all_three_paths() -> None:
    [result] = run([CASES_BY_NAME["admin-revenue"]], seconds=1, rounds=1)
    assert result.case == "admin-revenue"
    for figures in (result.bare, result.service, result.gateway):
        assert figures.requests_per_s > 0
        assert 0 < figures.p50_ms <= figures.p99_ms
        assert figures.cpu_us_per_request > 0
    assert "admin-revenue" in report([result])
