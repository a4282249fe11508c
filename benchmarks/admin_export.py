"""Admin exports: CSV rows/s against a raw COPY of the same query, and XLSX peak memory.

100k orders are seeded with one INSERT ... SELECT generate_series. The admin app runs in this
process and is called through ASGI directly with a body sink that keeps nothing, so the figures
are the export's own: the CSV rate is divided by the rate of asyncpg's `COPY (same query) TO
STDOUT` measured alternately in the same run, and the XLSX export's peak memory growth is taken
with tracemalloc (Python allocations) and by sampling the process RSS. DESIGN.md's target for
the XLSX export is a peak growth of at most 64 MB.

    python -m benchmarks.admin_export [--rows 100000] [--rounds 3] [--superuser-url URL]

Without --superuser-url an embedded PostgreSQL is started in a temporary folder. With it, the
benchmark runs `ecom db init` there: it creates the database `datamart_bench` and sets the
passwords of the cluster-wide `ecom_*` roles, so do not point it at a server others use.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import socket
import statistics
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import psutil
from fastapi import FastAPI
from starlette.types import Message, Scope

from services.admin.app import create_app
from services.admin.entities.orders import RESOURCE, OrderPublic
from services.admin.settings import AdminSettings
from shared.bootstrap import init_database
from shared.database import asyncpg_dsn, with_login
from shared.embedded_postgres import EmbeddedPostgres
from shared.identity import ASSERTION_HEADER, Principal, Role, sign_assertion
from shared.owners import OWNERSHIP, Owner

INTERNAL_SECRET = "benchmark-internal-secret-long-enough-00"
MEMORY_TARGET_MB = 64.0

SEED_ORDERS = """
INSERT INTO admin.orders (order_id, customer_id, order_date, status, channel, region,
                          currency, total_amount)
SELECT 'O' || lpad(n::text, 7, '0'), 'C' || lpad((n % 5000)::text, 5, '0'),
       timestamptz '2026-01-01' + n * interval '1 minute',
       (ARRAY['placed', 'paid', 'shipped', 'delivered', 'cancelled'])[1 + n % 5],
       (ARRAY['web', 'mobile', 'stockist', 'distributor'])[1 + n % 4],
       (ARRAY['north', 'south', 'east', 'west'])[1 + n % 4],
       'USD', (n % 20000) / 100.0
FROM generate_series(1, $1::int) AS n
"""


@dataclass(frozen=True)
class Transfer:
    """What one export or COPY moved and how long it took."""

    rows: int
    size: int
    seconds: float

    @property
    def rows_per_s(self) -> float:
        """Data rows per second."""
        return self.rows / self.seconds


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _editor_headers() -> dict[str, str]:
    # Signed per request: an identity assertion lives 60 s, less than a slow run takes.
    return {
        ASSERTION_HEADER: sign_assertion(Principal(sub="bench", role=Role.EDITOR), INTERNAL_SECRET)
    }


async def _asgi_get(app: FastAPI, path: str) -> Transfer:
    """GET `path` straight through ASGI as an editor, counting the body and keeping none of it."""
    headers = _editor_headers()
    status = 0
    size = 0
    lines = 0
    started = time.perf_counter()
    requested = False
    finished = asyncio.Event()

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status, size, lines
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            size += len(body)
            lines += body.count(b"\n")

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
        "state": {},
    }
    try:
        await app(scope, receive, send)
    finally:
        finished.set()
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    return Transfer(max(lines - 1, 0), size, time.perf_counter() - started)


async def _copy(dsn: str, sql: str) -> Transfer:
    """The same rows through `COPY (query) TO STDOUT` as CSV with a header, counted."""
    size = 0
    lines = 0

    async def sink(chunk: bytes) -> None:
        nonlocal size, lines
        size += len(chunk)
        lines += chunk.count(b"\n")

    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await connection.copy_from_query(sql, output=sink, format="csv", header=True)
        seconds = time.perf_counter() - started
    finally:
        await connection.close()
    return Transfer(lines - 1, size, seconds)


@contextmanager
def _rss_peak(sample_every_s: float = 0.005) -> Iterator[Callable[[], int]]:
    """Sample this process's RSS in a thread; yields a function returning the peak growth."""
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(sample_every_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield lambda: peak - baseline
    finally:
        stop.set()
        sampler.join()


async def _measure(app: FastAPI, admin_dsn: str, rows: int, rounds: int, row_cap: int) -> None:
    columns = list(OrderPublic.model_fields)
    statement = RESOURCE.query({}, None, RESOURCE.default_sort, columns).limit(row_cap)
    # The export's SELECT with its values inlined: COPY takes no bind parameters.
    dialect = app.state.engine.dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    csv_path = "/api/admin/orders/export/csv"
    xlsx_path = "/api/admin/orders/export/xlsx"

    await _asgi_get(app, csv_path)  # warm-up: pool, prepared statements, imports
    await _copy(admin_dsn, sql)
    exports, copies = [], []
    for _ in range(rounds):
        exports.append(await _asgi_get(app, csv_path))
        copies.append(await _copy(admin_dsn, sql))
    for transfer in (*exports, *copies):  # both moved every row, or the ratio means nothing
        if transfer.rows != rows:
            raise RuntimeError(f"expected {rows} rows, moved {transfer.rows}")

    xlsx = await _asgi_get(app, xlsx_path)
    gc.collect()
    tracemalloc.start()
    with _rss_peak() as rss_growth:
        await _asgi_get(app, xlsx_path)
        rss_mb = rss_growth() / 2**20
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    traced_mb = traced_peak / 2**20

    export_rate = statistics.median(t.rows_per_s for t in exports)
    copy_rate = statistics.median(t.rows_per_s for t in copies)
    print(f"rows exported          : {rows:,} orders x {len(columns)} columns")
    print(
        f"CSV export (API)       : {export_rate:10,.0f} rows/s  ({exports[0].size / 2**20:.1f} MB)"
    )
    print(f"COPY ... TO STDOUT     : {copy_rate:10,.0f} rows/s  ({copies[0].size / 2**20:.1f} MB)")
    print(f"CSV export / COPY      : {export_rate / copy_rate:.2f}")
    # A zip has no line structure: the XLSX rate is the seeded rows over the elapsed time.
    xlsx_rate = rows / xlsx.seconds
    print(f"XLSX export (API)      : {xlsx_rate:10,.0f} rows/s  ({_mb(xlsx.size)} MB file)")
    print(f"XLSX peak growth       : {traced_mb:.1f} MB traced (Python heap), {rss_mb:.1f} MB RSS")
    worst = max(traced_mb, rss_mb)
    verdict = "meets" if worst <= MEMORY_TARGET_MB else "MISSES"
    print(f"XLSX memory target     : <= {MEMORY_TARGET_MB:.0f} MB -> {verdict} ({worst:.1f} MB)")


async def _run(superuser_url: str, rows: int, rounds: int, data_dir: Path) -> None:
    passwords = {owner: f"bench-{owner.value}" for owner in Owner}
    await init_database(superuser_url, "datamart_bench", passwords)
    admin_url = with_login(
        superuser_url, OWNERSHIP[Owner.ADMIN].role, passwords[Owner.ADMIN], "datamart_bench"
    )
    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await connection.execute("TRUNCATE admin.orders")
        await connection.execute(SEED_ORDERS, rows)
        await connection.execute("ANALYZE admin.orders")
    finally:
        await connection.close()
    row_cap = max(rows, 1)
    settings = AdminSettings(
        _env_file=None,
        data_dir=data_dir,
        database_url=admin_url,
        internal_secret=INTERNAL_SECRET,
        export_max_rows=row_cap,
        log_level="WARNING",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await _measure(app, asyncpg_dsn(admin_url), rows, rounds, row_cap)


def main() -> None:
    """Seed the orders, run both exports and the COPY baseline, print figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--superuser-url", help="an existing server (default: embedded)")
    options = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="ecom-bench-"))
    data_dir.chmod(0o755)
    try:
        if options.superuser_url:
            asyncio.run(_run(options.superuser_url, options.rows, options.rounds, data_dir))
            return
        server = EmbeddedPostgres(data_dir / "postgres", _free_port())
        server.start()
        try:
            asyncio.run(_run(server.url, options.rows, options.rounds, data_dir))
        finally:
            server.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
