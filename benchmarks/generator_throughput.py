"""Generator throughput and memory: `ecom generate --orders N` against raw CSV writing.

Runs the real command in a child process on a fresh local lake (so its peak RSS is its own), then,
in this process, writes the same number of rows with `csv.writer` alone (rows taken from the
generated files) as the baseline: the ratio says what share of raw CSV speed the simulation,
fault injection and atomic publication keep. Issue 3's targets for 1,000,000 orders on a
2-core machine: under 2 minutes and under 500 MB peak memory.

    python -m benchmarks.generator_throughput [--orders 1000000]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SAMPLE_ROWS = 200_000


def _run_generator(orders: int, data_dir: Path) -> tuple[float, float, dict[str, Any]]:
    env = {**os.environ, "ECOM_DATA_DIR": str(data_dir), "ECOM_LOG_LEVEL": "WARNING"}
    env.pop("ECOM_OBJECT_STORE_URL", None)
    command = [sys.executable, "-m", "deploy.cli", "generate", "--orders", str(orders)]
    command += ["--seed", "1", "--as-of", "2026-11-20T12:00:00Z"]
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    [summary_path] = (data_dir / "lake" / "manifests").glob("*/batch.json")
    return elapsed, peak_mb, json.loads(summary_path.read_text())


def _raw_csv_rows_per_second(lake: Path, rows: int) -> float:
    """Rows/s of csv.writer alone, writing `rows` rows sampled from the generated files."""
    sample: list[list[str]] = []
    for entity in ("orders", "order_items", "payments", "customers"):
        [path] = [p for p in (lake / "landing" / entity).iterdir() if "_resent" not in p.name]
        with path.open(newline="", encoding="utf-8-sig") as handle:
            sample += itertools.islice(csv.reader(handle), SAMPLE_ROWS // 4)
    with tempfile.TemporaryFile("w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target, lineterminator="\n")
        started = time.perf_counter()
        for row in itertools.islice(itertools.cycle(sample), rows):
            writer.writerow(row)
        target.flush()
        return rows / (time.perf_counter() - started)


def main() -> None:
    """Generate, measure the baseline, print the figures and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    options = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="ecom-bench-generator-"))
    try:
        elapsed, peak_mb, summary = _run_generator(options.orders, data_dir)
        files = summary["files"]
        rows = sum(int(f["records"]) for f in files)
        faults = sum(int(n) for n in summary["faults"].values())
        raw = _raw_csv_rows_per_second(data_dir / "lake", rows)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    generated = rows / elapsed
    print(f"ecom generate --orders {options.orders}: {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB")
    print(f"  {rows:,} rows in {len(files)} files, {faults:,} faults injected")
    print(f"  {options.orders / elapsed:,.0f} orders/s, {generated:,.0f} rows/s")
    print(f"raw csv.writer baseline (same rows, this process): {raw:,.0f} rows/s")
    print(f"generator / raw CSV writing = {generated / raw:.2f}")
    print("targets for 1,000,000 orders: < 120 s and < 500 MB peak")


if __name__ == "__main__":
    main()
