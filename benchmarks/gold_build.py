"""Gold: a full rebuild of every mart at 1M orders of history against the incremental gold step
after a 30-row batch on the same history.

One lake gets `--orders` orders of history (generated, landed and loaded into silver by the
pipeline, then vacuumed and analysed), and one untimed batch. Then, `--runs` times:

- full: every mart rebuilt from silver (`build_marts(MARTS, full=True)`), the baseline;
- incremental: the same kind of 30-row orders file is landed and loaded into silver (untimed),
  then the data pipeline's gold step is timed: the marts it owns rebuilt for the days and
  customers the batch touched, and the KPI snapshot.

The ratio is the median incremental time over the median full time. Target: <= 0.05. The full
rebuild of only the data pipeline's marts is reported too, for context (the recommendation,
SLA and metrics marts are whole-table builds run by their own flows on their own schedules).

    python -m benchmarks.gold_build [--orders 1000000] [--runs 3] [--database-url URL] [--keep]

Without --database-url an embedded PostgreSQL is started in a temporary folder; with it (a
superuser URL) the database `gold_bench` is dropped and recreated there, and `ecom db init` sets
the cluster-wide `ecom_*` roles' passwords: do not point it at a server others use.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import uuid
from pathlib import Path

import asyncpg

from benchmarks.silver_load import (
    Lake,
    _create_lake,
    _drop_database,
    _fixed_orders_file,
    _generate,
    _load_history,
    _say,
    run_on_a_server,
)
from flows.gold import GoldFlow, Mart, MartBuild, build_marts
from flows.gold.marts import MARTS, marts_for
from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from flows.steps import PipelineSteps, gold_step

TARGET = 0.05


async def _full_rebuild(lake: Lake, marts: tuple[Mart, ...]) -> float:
    connection = await asyncpg.connect(lake.dsn)
    try:
        started = time.perf_counter()
        builds = await build_marts(
            connection, marts, uuid.uuid4(), lake.settings.base_currency, full=True
        )
        elapsed = time.perf_counter() - started
    finally:
        await connection.close()
    _say(f"  full rebuild of {len(builds)} mart(s): {elapsed:.2f} s")
    return elapsed


async def _incremental_after_batch(lake: Lake, run: int) -> float:
    """Land and load a 30-row orders file without gold, then time the gold step alone."""
    lake.store.write_atomic(f"landing/orders/gold_bench_{run:03d}.csv", _fixed_orders_file(run))
    timings: list[float] = []

    async def timed_gold(
        settings: FlowSettings, dsn: str, run_id: uuid.UUID, full: bool = False
    ) -> list[MartBuild]:
        started = time.perf_counter()
        builds = await gold_step(settings, dsn, run_id, full)
        timings.append(time.perf_counter() - started)
        return builds

    summary = await run_data_pipeline(lake.settings, steps=PipelineSteps(gold=timed_gold))
    [elapsed] = timings
    _say(f"  30-row batch, incremental gold: {elapsed:.3f} s ({summary.describe()[-160:]})")
    return elapsed


async def _measure(lake: Lake, options: argparse.Namespace) -> None:
    _say(f"generating {options.orders:,} orders of history ...")
    rows = _generate(lake, options.orders, 90, options.clean)
    _say(f"  {rows:,} rows over all entities; loading into silver (and a first gold build) ...")
    await _load_history(lake)
    for flow in (GoldFlow.LOYALTY_RECOMMENDATIONS, GoldFlow.TRUST_TRANSPARENCY):
        connection = await asyncpg.connect(lake.dsn)
        try:
            await build_marts(connection, marts_for(flow), uuid.uuid4(), "USD")
        finally:
            await connection.close()
    _generate(lake, 30, None, options.clean)
    await run_data_pipeline(lake.settings)  # the first batch after a backfill carries its tail

    full, pipeline_full, incremental = [], [], []
    for run in range(1, options.runs + 1):
        _say(f"round {run}/{options.runs}")
        full.append(await _full_rebuild(lake, MARTS))
        pipeline_full.append(await _full_rebuild(lake, marts_for(GoldFlow.DATA_PIPELINE)))
        incremental.append(await _incremental_after_batch(lake, run))

    full_s, pipeline_s, incremental_s = (
        statistics.median(values) for values in (full, pipeline_full, incremental)
    )
    ratio = incremental_s / full_s
    print()
    print(f"history: {options.orders:,} orders; medians of {options.runs} run(s)")
    print(f"  full rebuild, every mart ({len(MARTS)}):            {full_s:8.2f} s")
    print(
        f"  full rebuild, data pipeline marts ({len(marts_for(GoldFlow.DATA_PIPELINE))}):"
        f"        {pipeline_s:8.2f} s"
    )
    print(f"  incremental gold after a 30-row batch:      {incremental_s:8.3f} s")
    print(f"  ratio incremental / full:                   {ratio:8.4f}  (target <= {TARGET})")
    print(f"  ratio incremental / full of the same marts: {incremental_s / pipeline_s:8.4f}")


async def _run(superuser_url: str, options: argparse.Namespace, folder: Path) -> None:
    lake = await _create_lake(f"{options.orders:,}", "gold_bench", superuser_url, folder / "lake")
    try:
        await _measure(lake, options)
    finally:
        if options.keep:
            print(f"kept: database {lake.database}, lake in {folder}")
        else:
            await _drop_database(superuser_url, lake.database)


def main() -> None:
    """Generate the history, time full rebuilds and incremental builds, print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders of history")
    parser.add_argument("--runs", type=int, default=3, help="timed rounds")
    parser.add_argument("--clean", action="store_true", help="generate without faults")
    parser.add_argument("--database-url", help="superuser URL of an existing server")
    parser.add_argument("--keep", action="store_true", help="keep the database and lake")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    run_on_a_server(options, "ecom-bench-gold-", _run)


if __name__ == "__main__":
    main()
