"""Gold: each mart's full rebuild at 1M orders of history against its incremental build after
a 30-row batch on the same history, and the data pipeline's gold step as a whole.

One lake gets `--orders` orders of history (generated, landed and loaded into silver by the
pipeline, then vacuumed and analysed), and one untimed batch. Then, `--runs` times:

- full: every mart rebuilt from silver (`build_marts(..., full=True)`, one mart at a time in
  one session), each build timed and each statement it sends;
- incremental: the same kind of 30-row orders file is landed and loaded into silver (untimed),
  then the data pipeline's gold step is timed (the marts it owns rebuilt for the days and
  customers the batch touched, and the KPI snapshot), each of its builds too; then the flows
  with their own schedules (recommendations, SLA and metrics) build as they would next, each
  build timed.

The table gives each mart's median full and incremental time (`MartBuild.seconds`: scope,
build, contract and publish). The headline ratio is the median gold step over the median full
rebuild of every mart. Target: <= 0.05. Then the three slowest marts' full builds of the last
round, statement by statement, with the time spent between their statements (Python, COPY of
records).

    python -m benchmarks.gold_build [--orders 1000000] [--runs 3] [--database-url URL]
        [--database gold_bench] [--keep] [--reuse FOLDER]

Without --database-url an embedded PostgreSQL is started in a temporary folder; with it (a
superuser URL) the database `--database` is dropped and recreated there. `ecom db init` creates
the cluster-wide `ecom_*` roles with the benchmark's passwords; where they exist already, set
ECOM_DB_PASSWORD_<OWNER> to the passwords in use. --keep leaves the database and the lake (the
folder is printed); `--reuse FOLDER` measures again on them without generating (`--runs 0`
with --keep only generates).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import asyncpg

from benchmarks.silver_load import (
    BATCH_ORDERS,
    PASSWORDS,
    Lake,
    StatementTimer,
    _create_lake,
    _drop_database,
    _fixed_orders_file,
    _generate,
    _load_history,
    _say,
    _statement_label,
    passwords_in_use,
    run_on_a_server,
)
from flows.gold import GoldFlow, Mart, MartBuild, build_marts
from flows.gold.marts import MARTS, marts_for
from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from flows.steps import PipelineSteps, gold_step
from shared.database import with_login
from shared.owners import OWNERSHIP, Owner

TARGET = 0.05
SHOWN = 3  # the slowest full builds shown statement by statement
# The flows that build their marts on their own schedules, after the data pipeline's.
OWN_SCHEDULES = (GoldFlow.LOYALTY_RECOMMENDATIONS, GoldFlow.TRUST_TRANSPARENCY)


Timings = dict[str, float]  # seconds by mart table


def _by_mart(builds: list[MartBuild]) -> Timings:
    return {build.mart: build.seconds for build in builds}


@dataclass
class FullRebuild:
    """One full rebuild of every mart: each build's seconds and the statements it sent."""

    seconds: Timings
    statements: dict[str, list[tuple[str, float]]]  # by mart table: (statement, seconds)
    # By mart table: the statements of the connection that checked its contract alongside the
    # publish (`Mart.checks_alongside`), if one did.
    checked: dict[str, list[tuple[str, float]]]


async def _full_rebuild(lake: Lake) -> FullRebuild:
    """Every mart rebuilt from silver in one session, one at a time, each build timed by
    `build_mart` and each statement it sends by the connection."""
    connection = await asyncpg.connect(lake.dsn, connection_class=StatementTimer)
    rebuild = FullRebuild({}, {}, {})
    run_id = uuid.uuid4()
    checkers: list[StatementTimer] = []

    async def connect() -> StatementTimer:
        checker: StatementTimer = await asyncpg.connect(lake.dsn, connection_class=StatementTimer)
        checkers.append(checker)
        return checker

    try:
        started = time.perf_counter()
        for mart in MARTS:
            sent, opened = len(connection.timed_statements()), len(checkers)
            [build] = await build_marts(
                connection, (mart,), run_id, lake.settings.base_currency, full=True, connect=connect
            )
            rebuild.seconds[build.mart] = build.seconds
            rebuild.statements[build.mart] = connection.timed_statements()[sent:]
            if len(checkers) > opened:  # the mart checked its contract alongside the publish
                rebuild.checked[build.mart] = checkers[-1].timed_statements()
            _say(f"    {build.mart}: {build.seconds:.2f} s, {build.rows:,} rows")
        elapsed = time.perf_counter() - started
    finally:
        await connection.close()
    _say(f"  full rebuild of {len(MARTS)} mart(s): {elapsed:.2f} s")
    return rebuild


async def _incremental_after_batch(lake: Lake, run: int) -> tuple[float, Timings]:
    """Land and load a 30-row orders file without gold, then time the gold step alone, then
    the other flows' builds as their own schedules would run them next (each mart timed)."""
    lake.store.write_atomic(f"landing/orders/gold_bench_{run:03d}.csv", _fixed_orders_file(run))
    timings: list[float] = []
    by_mart: Timings = {}

    async def timed_gold(
        settings: FlowSettings, dsn: str, run_id: uuid.UUID, full: bool = False
    ) -> list[MartBuild]:
        started = time.perf_counter()
        builds = await gold_step(settings, dsn, run_id, full)
        timings.append(time.perf_counter() - started)
        by_mart.update(_by_mart(builds))
        return builds

    summary = await run_data_pipeline(lake.settings, steps=PipelineSteps(gold=timed_gold))
    [elapsed] = timings
    _say(f"  30-row batch, incremental gold: {elapsed:.3f} s ({summary.describe()[-160:]})")
    for flow in OWN_SCHEDULES:
        connection = await asyncpg.connect(lake.dsn)
        try:
            builds = await build_marts(
                connection,
                marts_for(flow),
                uuid.uuid4(),
                lake.settings.base_currency,
                connect=partial(asyncpg.connect, lake.dsn),
            )
        finally:
            await connection.close()
        by_mart.update(_by_mart(builds))
        for build in builds:
            _say(f"    {build.describe()}: {build.seconds:.2f} s")
    return elapsed, by_mart


async def _first_run(lake: Lake) -> int:
    """The first unused batch number (a reused lake already holds earlier rounds' orders)."""
    connection = await asyncpg.connect(lake.dsn)
    try:
        done = await connection.fetchval(
            "SELECT count(*) FROM silver.orders WHERE order_id LIKE 'BENCH-%'"
        )
    finally:
        await connection.close()
    return int(done) // BATCH_ORDERS + 1


def _kept_lake(folder: Path, database: str, superuser_url: str) -> Lake:
    """The lake and database a `--keep` run left in `folder`, as `_create_lake` made them."""
    flows_url = with_login(
        superuser_url, OWNERSHIP[Owner.FLOWS].role, PASSWORDS[Owner.FLOWS], database
    )
    settings = FlowSettings(
        _env_file=None,
        data_dir=folder / "lake",
        database_url=flows_url,
        object_store_url=(folder / "lake" / "lake").as_uri(),
        log_level="WARNING",
    )
    return Lake("kept", database, superuser_url, settings)


async def _prepare(lake: Lake, options: argparse.Namespace) -> None:
    _say(f"generating {options.orders:,} orders of history ...")
    rows = _generate(lake, options.orders, 90, options.clean)
    _say(f"  {rows:,} rows over all entities; loading into silver (and a first gold build) ...")
    await _load_history(lake)
    for flow in OWN_SCHEDULES:
        connection = await asyncpg.connect(lake.dsn)
        try:
            await build_marts(
                connection,
                marts_for(flow),
                uuid.uuid4(),
                "USD",
                connect=partial(asyncpg.connect, lake.dsn),
            )
        finally:
            await connection.close()
    _generate(lake, 30, None, options.clean)
    await run_data_pipeline(lake.settings)  # the first batch after a backfill carries its tail


async def _measure(lake: Lake, options: argparse.Namespace) -> None:
    full: list[FullRebuild] = []
    incremental: list[Timings] = []
    gold_steps: list[float] = []
    first = await _first_run(lake)
    for run in range(first, first + options.runs):
        _say(f"round {run - first + 1}/{options.runs}")
        full.append(await _full_rebuild(lake))
        step, by_mart = await _incremental_after_batch(lake, run)
        gold_steps.append(step)
        incremental.append(by_mart)
    _report(options, full, incremental, gold_steps)


def _median(timings: list[Timings], mart: Mart) -> float:
    return statistics.median(run.get(mart.table, 0.0) for run in timings)


def _report(
    options: argparse.Namespace,
    rebuilds: list[FullRebuild],
    incremental: list[Timings],
    gold_steps: list[float],
) -> None:
    full = [rebuild.seconds for rebuild in rebuilds]
    pipeline = marts_for(GoldFlow.DATA_PIPELINE)
    full_s = statistics.median(sum(run.values()) for run in full)
    pipeline_s = statistics.median(sum(run[m.table] for m in pipeline) for run in full)
    step_s = statistics.median(gold_steps)
    print()
    print(f"history: {options.orders:,} orders; medians of {options.runs} run(s)")
    print(f"  {'mart':<42} {'flow':<24} {'full s':>8} {'incr. s':>8} {'ratio':>7}")
    for mart in MARTS:
        mart_full, mart_incremental = _median(full, mart), _median(incremental, mart)
        print(
            f"  {mart.table:<42} {mart.flow.value:<24} {mart_full:8.2f} {mart_incremental:8.3f}"
            f" {mart_incremental / mart_full:7.3f}"
        )
    print(f"  full rebuild, every mart ({len(MARTS)}):            {full_s:8.2f} s")
    print(f"  full rebuild, data pipeline marts ({len(pipeline)}):        {pipeline_s:8.2f} s")
    print(f"  incremental gold step after a 30-row batch: {step_s:8.3f} s (with the KPI snapshot)")
    ratio = step_s / full_s
    print(f"  ratio incremental / full:                   {ratio:8.4f}  (target <= {TARGET})")
    print(f"  ratio incremental / full of the same marts: {step_s / pipeline_s:8.4f}")
    last = rebuilds[-1]
    for slow in sorted(last.seconds, key=last.seconds.__getitem__, reverse=True)[:SHOWN]:
        _report_statements(last, slow)


def _report_statements(rebuild: FullRebuild, mart: str) -> None:
    """A mart's full build of the last round, statement by statement."""
    total = rebuild.seconds[mart]
    statements = rebuild.statements[mart]
    print()
    print(f"{mart}, full build ({total:.2f} s), by statement (over 2% of it):")
    for statement, seconds in statements:
        if seconds >= total / 50:
            print(f"  {seconds:6.2f} s  {_statement_label(statement)}")
    outside = total - sum(seconds for _, seconds in statements)
    print(f"  {outside:6.2f} s  between statements (Python work, COPY of records, round trips)")
    if checked := rebuild.checked.get(mart):
        print("  on the checking connection, alongside the publish:")
        for statement, seconds in checked:
            if seconds >= total / 50:
                print(f"  {seconds:6.2f} s  {_statement_label(statement)}")


async def _run(superuser_url: str, options: argparse.Namespace, folder: Path) -> None:
    if options.reuse:
        lake = _kept_lake(options.reuse, options.database, superuser_url)
    else:
        lake = await _create_lake(
            f"{options.orders:,}", options.database, superuser_url, folder / "lake"
        )
    try:
        if not options.reuse:
            await _prepare(lake, options)
        if options.runs:
            await _measure(lake, options)
    finally:
        if options.keep or options.reuse:
            print(f"kept: database {lake.database}, lake in {options.reuse or folder}")
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
    parser.add_argument("--database", default="gold_bench", help="database name on the server")
    parser.add_argument(
        "--reuse",
        type=Path,
        metavar="FOLDER",
        help="measure on a kept run's database and lake (its folder) instead of generating",
    )
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    passwords_in_use()
    run_on_a_server(options, "ecom-bench-gold-", _run)


if __name__ == "__main__":
    main()
