"""Silver load against raw COPY, and a small batch's run time at 1M orders of history against 10k.

Two ratios from one run, each against a baseline measured in the same process:

1. Silver load / durable floor, and / raw COPY. The generator writes one batch of `--orders`
   orders of history (one orders CSV of about as many rows, and every other entity); the
   pipeline lands it in bronze. The baselines are asyncpg's `copy_to_table` of that bronze
   orders file, each the median of `--rounds`: into an UNLOGGED table of text columns (raw
   COPY), and into a durable table created LIKE silver.orders INCLUDING ALL, so with silver's
   columns, types, primary key and indexes (the durable floor; it needs a file whose every row
   casts and whose keys are unique, as `--clean` writes). Then the pipeline loads every bronze
   file with its own functions, parents (fx_rates, customers, ...) first; only
   `load_bronze_file` of the orders file is timed for the ratios. DESIGN.md's targets: >= 0.5
   of the durable floor, >= 0.3 of raw COPY.
2. Incremental run. A second lake gets `--small-orders` orders of history, loaded the same way;
   both databases are then vacuumed and analysed, as autovacuum soon would be, and each lake takes
   one untimed batch (the first batch after a backfill carries the backfill's tail). Then,
   `--runs` times and alternately, each lake gets the same 30-row orders file (30 new orders of
   existing customers, one day) and a full `run_data_pipeline` (land, silver, gold) is timed.
   The ratio is the median at the large history over the median at the small one. DESIGN.md's
   target: <= 1.5. For context, the generator's next 30-order batch is timed too; it carries the
   events of still-open orders, which grow with the history, so its ratio is not the target's.

    python -m benchmarks.silver_load [--orders 1000000] [--small-orders 10000] [--runs 5]
        [--rounds 3] [--clean] [--database-url URL] [--database-prefix NAME] [--keep]
        [--silver-only]

Without --database-url an embedded PostgreSQL is started in a temporary folder. With it (a
superuser URL), the benchmark drops and recreates the databases `silver_bench_large` and
`silver_bench_small` (`--database-prefix` names them otherwise) there and runs `ecom db init`
on them, which creates the cluster-wide `ecom_*` roles with the benchmark's passwords; where
they exist already, set ECOM_DB_PASSWORD_<OWNER> to the passwords in use. --keep leaves the
databases (and the lakes, and the embedded server's folder) in place, e.g. for EXPLAIN
ANALYZE. --silver-only stops after the silver ratios (and builds no marts).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import logging
import os
import shutil
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from flows.bronze import pending_landing_keys
from flows.generator import GenerateRequest, generate
from flows.generator.entities import ORDERS
from flows.gold import MartBuild
from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from flows.silver import BronzeFile, FileOutcome, LoadOptions, load_bronze_file
from flows.silver.checksums import silver_checksums
from flows.silver.load import read_header
from flows.silver.tables import SILVER_TABLE_BY_ENTITY
from flows.steps import PipelineSteps, land_step, load_step
from shared.bootstrap import init_database
from shared.database import asyncpg_dsn, with_database, with_login
from shared.embedded_postgres import EmbeddedPostgres
from shared.objectstore import ObjectStore
from shared.owners import OWNERSHIP, Owner

HISTORY_AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)
HISTORY_DAYS = 90
BATCH_ORDERS = 30
BATCH_INTERVAL = timedelta(minutes=3)
SEED = 1
SILVER_TARGET = 0.3
FLOOR_TARGET = 0.5
INCREMENTAL_TARGET = 1.5
PASSWORDS = {owner: f"bench-{owner.value}" for owner in Owner}


def passwords_in_use() -> None:
    """Use the roles' passwords from ECOM_DB_PASSWORD_<OWNER> where set (a shared server whose
    roles already exist keeps them), else the benchmark's own."""
    for owner in Owner:
        given = os.environ.get(f"ECOM_DB_PASSWORD_{owner.value.upper()}")
        if given:
            PASSWORDS[owner] = given


_started = time.perf_counter()


def _say(message: str) -> None:
    print(f"[{time.perf_counter() - _started:5.0f} s] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Lake:
    """One lake and its database: a history of some size, and the batches timed on top."""

    label: str
    database: str
    superuser_url: str
    settings: FlowSettings
    next_as_of: datetime = HISTORY_AS_OF
    run_seconds: list[float] = field(default_factory=list)
    run_rows: list[int] = field(default_factory=list)
    batch_seconds: list[float] = field(default_factory=list)
    batch_rows: list[int] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        """asyncpg DSN of the pipeline role on this lake's database."""
        assert self.settings.database_url is not None
        return asyncpg_dsn(self.settings.database_url.get_secret_value())

    @property
    def superuser_dsn(self) -> str:
        """asyncpg DSN of the superuser on this lake's database."""
        return asyncpg_dsn(with_database(self.superuser_url, self.database))

    @property
    def store(self) -> ObjectStore:
        """The lake's object store."""
        return ObjectStore.from_settings(self.settings)


async def _drop_database(superuser_url: str, database: str) -> None:
    maintenance = await asyncpg.connect(asyncpg_dsn(superuser_url))
    try:
        await maintenance.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await maintenance.close()


async def _create_lake(label: str, database: str, superuser_url: str, folder: Path) -> Lake:
    await _drop_database(superuser_url, database)
    await init_database(superuser_url, database, PASSWORDS)
    flows_url = with_login(
        superuser_url, OWNERSHIP[Owner.FLOWS].role, PASSWORDS[Owner.FLOWS], database
    )
    settings = FlowSettings(
        _env_file=None,
        data_dir=folder,
        database_url=flows_url,
        object_store_url=(folder / "lake").as_uri(),
        log_level="WARNING",
    )
    return Lake(label, database, superuser_url, settings)


def _generate(lake: Lake, orders: int, days: float | None, clean: bool) -> int:
    """Write the lake's next batch into landing/; returns its row count over all entities."""
    request = GenerateRequest(orders, days, SEED, lake.next_as_of, clean)
    step = max(orders // 10, 1)
    done = shown = 0

    def progress(advanced: int) -> None:
        nonlocal done, shown
        done += advanced
        if orders >= 100_000 and done - shown >= step:
            shown = done
            _say(f"  {done:,} / {orders:,} orders generated")

    [result] = generate(lake.settings, request, progress=progress)
    lake.next_as_of += BATCH_INTERVAL
    return result.rows


class StatementTimer(asyncpg.Connection):  # type: ignore[misc]
    """A connection that notes how long each statement it sends takes, by its first words."""

    def timed_statements(self) -> list[tuple[str, float]]:
        """(statement, seconds) of each statement so far, in order."""
        timings: list[tuple[str, float]] = self.__dict__.setdefault("_timings", [])
        return timings

    async def _timed(self, label: str, call: Coroutine[Any, Any, Any]) -> Any:
        started = time.perf_counter()
        try:
            return await call
        finally:
            self.timed_statements().append((label, time.perf_counter() - started))

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> str:
        """`Connection.execute`, timed."""
        return str(await self._timed(query, super().execute(query, *args, **kwargs)))

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> list[asyncpg.Record]:
        """`Connection.fetch`, timed."""
        rows: list[asyncpg.Record] = await self._timed(query, super().fetch(query, *args, **kwargs))
        return rows

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> asyncpg.Record | None:
        """`Connection.fetchrow`, timed."""
        row: asyncpg.Record | None = await self._timed(
            query, super().fetchrow(query, *args, **kwargs)
        )
        return row

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """`Connection.fetchval`, timed."""
        return await self._timed(query, super().fetchval(query, *args, **kwargs))

    async def copy_to_table(self, table_name: str, **kwargs: Any) -> str:
        """`Connection.copy_to_table`, timed."""
        return str(
            await self._timed(f"COPY {table_name}", super().copy_to_table(table_name, **kwargs))
        )


def _statement_label(statement: str) -> str:
    return " ".join(statement.split())[:100]


@dataclass
class TimedLoads:
    """The pipeline's load step, timing `load_bronze_file` of each file and printing its rate;
    the statements of each file are timed too."""

    seconds: dict[int, float] = field(default_factory=dict)
    statements: dict[int, list[tuple[str, float]]] = field(default_factory=dict)

    async def load(
        self, settings: FlowSettings, dsn: str, file: BronzeFile, run_id: uuid.UUID
    ) -> FileOutcome:
        """Load one bronze file as `flows.steps.load_step` does, timing the load alone."""
        if file.entity not in SILVER_TABLE_BY_ENTITY:  # the admin change outbox
            return await load_step(settings, dsn, file, run_id)
        options = LoadOptions.for_table(settings, SILVER_TABLE_BY_ENTITY[file.entity])
        connection = await asyncpg.connect(dsn, connection_class=StatementTimer)
        try:
            started = time.perf_counter()
            outcome = await load_bronze_file(
                connection, ObjectStore.from_settings(settings), file, run_id, options
            )
            elapsed = time.perf_counter() - started
        finally:
            await connection.close()
        self.seconds[file.bronze_file_id] = elapsed
        self.statements[file.bronze_file_id] = connection.timed_statements()
        _say(
            f"  silver.{file.entity}: {outcome.rows_read:,} rows in {elapsed:.1f} s"
            f" ({outcome.rows_read / elapsed:,.0f} rows/s)"
        )
        return outcome


async def _land(lake: Lake) -> None:
    for key in pending_landing_keys(lake.store):
        landed = await land_step(lake.settings, lake.dsn, key)
        _say(f"  landed {key.rsplit('/', 1)[-1]} ({landed.rows:,} rows)")


async def _largest_orders_file(lake: Lake) -> tuple[BronzeFile, int]:
    connection = await asyncpg.connect(lake.dsn)
    try:
        row = await connection.fetchrow(
            "SELECT bronze_file_id, entity, bronze_path, rows FROM ops.bronze_files"
            " WHERE entity = 'orders' ORDER BY rows DESC LIMIT 1"
        )
    finally:
        await connection.close()
    if row is None:
        raise RuntimeError("the history batch has no orders file")
    return BronzeFile.from_record(row), row["rows"]


async def _raw_copy_seconds(lake: Lake, bronze_path: str, rounds: int) -> list[float]:
    """COPY the bronze file into an UNLOGGED table of text columns, `rounds` times."""
    columns = [f"c{index}" for index in range(len(read_header(lake.store, bronze_path)))]
    definition = ", ".join(f"{column} text" for column in columns)
    connection = await asyncpg.connect(lake.superuser_dsn)
    try:
        await connection.execute(f"CREATE UNLOGGED TABLE public.bench_raw_copy ({definition})")
        timings = await _timed_copies(
            connection, lake, bronze_path, "bench_raw_copy", columns, rounds, "raw COPY"
        )
        await connection.execute("DROP TABLE public.bench_raw_copy")
    finally:
        await connection.close()
    return timings


async def _timed_copies(
    connection: asyncpg.Connection,
    lake: Lake,
    bronze_path: str,
    table: str,
    columns: list[str],
    rounds: int,
    label: str,
) -> list[float]:
    """COPY the bronze file into `public.<table>` (emptied first), `rounds` times: the seconds
    each took."""
    timings = []
    for _ in range(rounds):
        await connection.execute(f"TRUNCATE public.{table}")
        started = time.perf_counter()
        with lake.store.open_read(bronze_path) as stream:
            await connection.copy_to_table(
                table, schema_name="public", source=stream, columns=columns, format="csv",
                header=True,
            )  # fmt: skip
        timings.append(time.perf_counter() - started)
        _say(f"  {label}: {timings[-1]:.2f} s")
    return timings


async def _durable_floor_seconds(lake: Lake, file: BronzeFile, rounds: int) -> list[float]:
    """COPY the bronze file, `rounds` times, into a durable table created LIKE the file's silver
    table INCLUDING ALL (its columns, types, primary key and indexes): what the rows cost to
    store where silver stores them. The file's headers go to the columns they feed; a column
    the file does not carry gets what silver puts there when it is a number (provenance, FX:
    a constant) and stays NULL otherwise (a delete time), so rows are as wide as silver's."""
    table = SILVER_TABLE_BY_ENTITY[file.entity]
    by_source = {column.source_name: column.name for column in table.columns}
    header = read_header(lake.store, file.bronze_path)
    unknown = [name for name in header if name not in by_source]
    if unknown:
        raise RuntimeError(f"the durable floor needs declared columns only, not {unknown}")
    columns = [by_source[name] for name in header]
    connection = await asyncpg.connect(lake.superuser_dsn)
    try:
        await connection.execute(
            f"CREATE TABLE public.bench_durable_floor (LIKE {table.qualified} INCLUDING ALL)"
        )
        absent = await connection.fetch(
            """
            SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
            FROM pg_attribute a
            WHERE a.attrelid = 'public.bench_durable_floor'::regclass AND a.attnum > 0
              AND NOT a.atthasdef AND a.attname <> ALL($1::text[])
              AND a.atttypid IN ('numeric'::regtype, 'integer'::regtype, 'bigint'::regtype)
            """,
            columns,
        )
        for row in absent:
            value = "1" if row["name"] == "fx_rate" else "0"
            await connection.execute(
                f'ALTER TABLE public.bench_durable_floor ALTER COLUMN "{row["name"]}"'
                f" SET DEFAULT {value}::{row['type']}"
            )
        try:
            timings = await _timed_copies(
                connection, lake, file.bronze_path, "bench_durable_floor", columns, rounds,
                "durable floor COPY",
            )  # fmt: skip
        except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError) as error:
            # A faulty lake (no --clean) still serves the profile and the checksums.
            _say(f"  no durable floor: the file has faults ({error}); generate with --clean")
            timings = [float("nan")]
        await connection.execute("DROP TABLE public.bench_durable_floor")
    finally:
        await connection.close()
    return timings


async def _no_marts(
    settings: FlowSettings, dsn: str, run_id: uuid.UUID, full: bool = False
) -> list[MartBuild]:
    return []


async def _load_history(lake: Lake, steps: PipelineSteps | None = None) -> None:
    summary = await run_data_pipeline(lake.settings, steps=steps)
    _say(f"  {summary.describe()}")
    connection = await asyncpg.connect(lake.superuser_dsn)
    try:
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()


def _fixed_orders_file(run: int) -> bytes:
    """The same 30 new orders for both histories: existing customers, three currencies, one
    order day, so the two runs differ only in the history beneath them."""
    placed = HISTORY_AS_OF - timedelta(hours=1)
    rows = []
    for number in range(1, BATCH_ORDERS + 1):
        stamp = (placed + timedelta(seconds=number)).strftime("%Y-%m-%dT%H:%M:%SZ")
        currency = ("USD", "EUR", "GBP")[number % 3]
        rows.append(
            {
                "order_id": f"BENCH-{run:03d}-{number:02d}",
                "customer_id": f"C{number:07d}",
                "order_date": stamp,
                "status": "placed",
                "channel": "web",
                "region": "us-east",
                "currency": currency,
                "subtotal_amount": "40.00",
                "discount_amount": "0.00",
                "shipping_amount": "5.00",
                "tax_amount": "3.20",
                "total_amount": "48.20",
                "updated_at": stamp,
            }
        )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ORDERS.columns, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


async def _timed_run(lake: Lake) -> tuple[float, int, int, int]:
    started = time.perf_counter()
    summary = await run_data_pipeline(lake.settings)
    elapsed = time.perf_counter() - started
    days = sum(m.keys for m in summary.marts)
    return elapsed, summary.total("rows_read"), len(summary.loaded), days


async def _fixed_batch_run(lake: Lake, run: int) -> None:
    """Land the same 30-row orders file on the lake and time the pipeline run that loads it."""
    lake.store.write_atomic(f"landing/orders/bench_{run:03d}.csv", _fixed_orders_file(run))
    elapsed, rows, files, days = await _timed_run(lake)
    lake.run_seconds.append(elapsed)
    lake.run_rows.append(rows)
    _say(
        f"  {lake.label:>17} history, same 30-row file: {elapsed:.2f} s, {files} file,"
        f" {rows} rows, {days} mart day(s)"
    )


async def _generated_batch_run(lake: Lake, clean: bool, *, timed: bool = True) -> None:
    """Generate the lake's next 30-order batch (with the events of its open orders, which grow
    with the history) and time the pipeline run that loads it."""
    _generate(lake, BATCH_ORDERS, None, clean)
    elapsed, rows, files, days = await _timed_run(lake)
    if timed:
        lake.batch_seconds.append(elapsed)
        lake.batch_rows.append(rows)
    _say(
        f"  {lake.label:>17} history, generated batch: {elapsed:.2f} s"
        f"{'' if timed else ' (untimed)'}, {files} files, {rows} rows, {days} mart days"
    )


@dataclass(frozen=True)
class SilverLoadTimes:
    """The orders file's silver load and its two baselines, in seconds (baselines: medians),
    and the load's statements with their seconds."""

    rows: int
    raw_copy: float
    durable_floor: float
    silver: float
    statements: list[tuple[str, float]] = field(default_factory=list)


def _report_silver(times: SilverLoadTimes) -> None:
    print()
    print("the orders file's load, statement by statement (those over 1% of it):")
    for statement, seconds in times.statements:
        if seconds >= times.silver / 100:
            print(f"  {seconds:6.2f} s  {_statement_label(statement)}")
    raw_rate = times.rows / times.raw_copy
    floor_rate = times.rows / times.durable_floor
    silver_rate = times.rows / times.silver
    print()
    print(f"orders file             : {times.rows:,} rows")
    print(f"raw COPY (unlogged)     : {raw_rate:9,.0f} rows/s ({times.raw_copy:.2f} s, median)")
    print(
        f"durable floor COPY      : {floor_rate:9,.0f} rows/s ({times.durable_floor:.2f} s, median;"
        " silver's columns, types, key and indexes)"
    )
    print(f"silver load             : {silver_rate:9,.0f} rows/s ({times.silver:.2f} s)")
    print(
        f"silver load / durable floor = {silver_rate / floor_rate:.2f} (target >= {FLOOR_TARGET})"
    )
    print(f"silver load / raw COPY = {silver_rate / raw_rate:.2f} (target >= {SILVER_TARGET})")


async def _report_checksums(lake: Lake) -> None:
    """Print the silver and rejects checksums of the lake: equal on the same generated lake
    before and after a change to the load means the change kept its outcome."""
    connection = await asyncpg.connect(lake.superuser_dsn)
    try:
        checksums = await silver_checksums(connection)
    finally:
        await connection.close()
    print()
    for name, checksum in checksums.items():
        print(f"checksum silver.{name:<22}: {checksum}")


def _report(times: SilverLoadTimes, large: Lake, small: Lake) -> None:
    _report_silver(times)
    for lake in (large, small):
        print(
            f"30-row orders file, {lake.label:>9} history: "
            f"{statistics.median(lake.run_seconds):.2f} s (median of {len(lake.run_seconds)})"
        )
    ratio = statistics.median(large.run_seconds) / statistics.median(small.run_seconds)
    print(
        f"incremental run at {large.label} / at {small.label} history = {ratio:.2f}"
        f" (target <= {INCREMENTAL_TARGET})"
    )
    for lake in (large, small):
        print(
            f"generated 30-order batch, {lake.label:>9} history: "
            f"{statistics.median(lake.batch_seconds):.2f} s (median of {len(lake.batch_seconds)};"
            f" {statistics.median(lake.batch_rows):.0f} rows read per run)"
        )
    context = statistics.median(large.batch_seconds) / statistics.median(small.batch_seconds)
    print(
        f"generated batch at {large.label} / at {small.label} history = {context:.2f}"
        " (context: the batch carries more open-order events on the larger history)"
    )


async def _measure(options: argparse.Namespace, large: Lake, small: Lake) -> None:
    _say(f"generating {options.orders:,} orders of history over {HISTORY_DAYS} days (one batch)")
    rows = _generate(large, options.orders, HISTORY_DAYS, options.clean)
    _say(f"  {rows:,} rows in all entities; landing them in bronze")
    await _land(large)
    orders_file, orders_rows = await _largest_orders_file(large)
    _say(f"baseline: raw COPY of the orders file ({orders_rows:,} rows), {options.rounds} rounds")
    raw_seconds = statistics.median(
        await _raw_copy_seconds(large, orders_file.bronze_path, options.rounds)
    )
    _say(f"baseline: the durable floor, {options.rounds} rounds")
    floor_seconds = statistics.median(
        await _durable_floor_seconds(large, orders_file, options.rounds)
    )
    _say("silver: the pipeline loads every bronze file (orders after its parents), then gold")
    loads = TimedLoads()
    steps = PipelineSteps(load=loads.load)
    if options.silver_only:  # the ratios need silver only: no marts built
        steps = PipelineSteps(load=loads.load, gold=_no_marts)
    await _load_history(large, steps)
    times = SilverLoadTimes(
        orders_rows,
        raw_seconds,
        floor_seconds,
        loads.seconds[orders_file.bronze_file_id],
        loads.statements[orders_file.bronze_file_id],
    )
    if options.silver_only:
        _report_silver(times)
        await _report_checksums(large)
        return

    _say(f"generating and loading {options.small_orders:,} orders of history in a second lake")
    _generate(small, options.small_orders, HISTORY_DAYS, options.clean)
    await _load_history(small)

    _say(f"incremental runs: {BATCH_ORDERS}-order batches on each history, one untimed first")
    for lake in (small, large):
        await _generated_batch_run(lake, options.clean, timed=False)
    for run in range(options.runs):
        for lake in (small, large):
            await _fixed_batch_run(lake, run)
            await _generated_batch_run(lake, options.clean)
    _report(times, large, small)


async def _run(superuser_url: str, options: argparse.Namespace, folder: Path) -> None:
    prefix = options.database_prefix
    large = await _create_lake(
        f"{options.orders:,}", f"{prefix}_large", superuser_url, folder / "large"
    )
    small = await _create_lake(
        f"{options.small_orders:,}", f"{prefix}_small", superuser_url, folder / "small"
    )
    try:
        await _measure(options, large, small)
    finally:
        if options.keep:
            print(f"kept: databases {large.database} and {small.database}, lakes in {folder}")
        else:
            for lake in (large, small):
                await _drop_database(superuser_url, lake.database)


def main() -> None:
    """Generate both histories, measure both baselines and both ratios, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="the large history")
    parser.add_argument("--small-orders", type=int, default=10_000, help="the small history")
    parser.add_argument("--runs", type=int, default=5, help="timed batches per history")
    parser.add_argument("--rounds", type=int, default=3, help="raw COPY rounds")
    parser.add_argument("--clean", action="store_true", help="generate without faults")
    parser.add_argument("--database-url", help="superuser URL of an existing server")
    parser.add_argument("--keep", action="store_true", help="keep the databases and lakes")
    parser.add_argument(
        "--database-prefix",
        default="silver_bench",
        help="the databases are PREFIX_large and PREFIX_small (default silver_bench)",
    )
    parser.add_argument(
        "--silver-only", action="store_true", help="measure the silver load only, no runs"
    )
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    passwords_in_use()
    run_on_a_server(options, "ecom-bench-silver-", _run)


BenchmarkRun = Callable[[str, argparse.Namespace, Path], Coroutine[Any, Any, None]]


def run_on_a_server(options: argparse.Namespace, prefix: str, run: BenchmarkRun) -> None:
    """Run `run(superuser_url, options, folder)` on `--database-url`, or on an embedded server
    started in a temporary folder; the folder goes afterwards unless `--keep`."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    try:
        if options.database_url:
            asyncio.run(run(options.database_url, options, folder))
            return
        server = EmbeddedPostgres(folder / "postgres", _free_port())
        server.start()
        try:
            asyncio.run(run(server.url, options, folder))
        finally:
            if options.keep:
                server.stop()
                print(f"embedded server stopped: data in {server.pgdata}, port {server.port}")
            else:
                server.discard()
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
