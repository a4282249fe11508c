"""A pipeline killed anywhere, run concurrently, or run on S3 ends in the same silver.

The reference is one uninterrupted run over a small generated lake (one day of history with
faults, then one batch). Every other test generates the same lake again (generation is
deterministic; the landing files are compared to prove it), reaches silver its own way and must
end with the reference's silver checksums, every bronze file loaded exactly once and no business
key twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr

from flows.bronze import pending_landing_keys
from flows.pipeline import run_data_pipeline
from flows.runs import ABANDONED_RUN
from flows.settings import FlowSettings
from flows.silver.checks import quote
from flows.silver.checksums import silver_checksums
from flows.silver.tables import SILVER_TABLES
from shared.bootstrap import ensure_schemas_and_grants
from shared.database import asyncpg_dsn, resolve_database_url
from shared.objectstore import ObjectStore
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.generator.lake_files import generate_history_and_batches
from tests.flows.s3_lake import on_s3
from tests.flows.silver.crash_child import CrashPoint

REPOSITORY = Path(__file__).resolve().parents[3]
CHILD_TIMEOUT_SECONDS = 60


def generate_lake(settings: FlowSettings) -> dict[str, str]:
    """Write the test lake (a day of history with faults, then one batch); returns the sha256
    of every landing file by key."""
    generate_history_and_batches(settings, days=1, batches=1, clean=False)
    store = ObjectStore.from_settings(settings)
    return {
        key: hashlib.sha256(store.read_bytes(key)).hexdigest()
        for key in pending_landing_keys(store)
    }


@dataclass(frozen=True)
class Reference:
    """What an uninterrupted run over the test lake produces."""

    landing: dict[str, str]
    checksums: dict[str, str]
    outcomes: dict[str, tuple[int, ...]]

    @property
    def files(self) -> int:
        return len(self.landing)


@asynccontextmanager
async def scratch_database(superuser_url: str, template: str) -> AsyncIterator[TestDatabase]:
    """A migrated database beside the test's own, dropped afterwards."""
    name = f"ecom_reference_{uuid.uuid4().hex[:12]}"
    maintenance = await asyncpg.connect(asyncpg_dsn(superuser_url))
    try:
        await maintenance.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await maintenance.close()
    scratch = TestDatabase(superuser_url, name)
    try:
        connection = await asyncpg.connect(asyncpg_dsn(scratch.url))
        try:
            await ensure_schemas_and_grants(connection, name)
        finally:
            await connection.close()
        yield scratch
    finally:
        maintenance = await asyncpg.connect(asyncpg_dsn(superuser_url))
        try:
            await maintenance.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await maintenance.close()


@pytest.fixture(scope="module")
async def reference(
    postgres_superuser_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Reference:
    """Silver after one uninterrupted run over the test lake, in a database of its own."""
    async with scratch_database(postgres_superuser_url, template_database) as scratch:
        folder = tmp_path_factory.mktemp("reference")
        settings = FlowSettings(
            _env_file=None,
            data_dir=folder,
            database_url=scratch.role_url(Owner.FLOWS),
            object_store_url=(folder / "lake").as_uri(),
        )
        landing = generate_lake(settings)
        summary = await run_data_pipeline(settings)
        assert len(summary.loaded) == len(landing) == LAKE_FILES
        async with connected(scratch) as connection:
            return Reference(
                landing, await silver_checksums(connection), await ledger_outcomes(connection)
            )


@asynccontextmanager
async def connected(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to `database`."""
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        yield connection
    finally:
        await connection.close()


async def duplicate_business_keys(connection: asyncpg.Connection) -> dict[str, int]:
    """Per silver table, how many business keys have more than one (current) row."""
    duplicates: dict[str, int] = {}
    for table in SILVER_TABLES:
        keys = ", ".join(quote(column) for column in table.key)
        current = " WHERE is_current" if table.history else ""
        count = await connection.fetchval(
            f"SELECT count(*) FROM (SELECT 1 FROM {table.qualified}{current}"
            f" GROUP BY {keys} HAVING count(*) > 1) repeated"
        )
        if count:
            duplicates[table.name] = count
    return duplicates


async def ledger_rows_per_file(connection: asyncpg.Connection) -> dict[int, int]:
    """Ledger rows of every bronze file, loaded or not."""
    rows = await connection.fetch(
        "SELECT b.bronze_file_id, count(l.bronze_file_id) AS ledger_rows"
        " FROM ops.bronze_files b LEFT JOIN ops.file_ledger l USING (bronze_file_id)"
        " GROUP BY b.bronze_file_id"
    )
    return {row["bronze_file_id"]: row["ledger_rows"] for row in rows}


async def ledger_outcomes(connection: asyncpg.Connection) -> dict[str, tuple[int, ...]]:
    """Per entity, the ledger's rows read, inserted, updated, unchanged, stale and rejected: a
    file applied twice would count its rows as unchanged the second time."""
    rows = await connection.fetch(
        "SELECT entity, sum(rows_read), sum(rows_inserted), sum(rows_updated),"
        " sum(rows_unchanged), sum(rows_stale), sum(rows_rejected)"
        " FROM ops.file_ledger GROUP BY entity"
    )
    return {row[0]: tuple(int(value) for value in row[1:]) for row in rows}


async def assert_matches_the_uninterrupted_run(
    database: TestDatabase, reference: Reference
) -> None:
    """Every file loaded exactly once, no key twice, silver equal to the reference."""
    async with connected(database) as connection:
        ledger = await ledger_rows_per_file(connection)
        assert list(ledger.values()) == [1] * reference.files, ledger
        assert (
            await connection.fetchval(
                "SELECT count(*) FROM ops.bronze_files WHERE loaded_at IS NULL"
            )
            == 0
        )
        assert await duplicate_business_keys(connection) == {}
        assert await ledger_outcomes(connection) == reference.outcomes
        assert await silver_checksums(connection) == reference.checksums


def child_environment(settings: FlowSettings) -> dict[str, str]:
    """This process's environment without ECOM_ variables, plus those describing `settings`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ECOM_")}
    environment |= {
        "ECOM_DATA_DIR": str(settings.data_dir),
        "ECOM_DATABASE_URL": resolve_database_url(settings, Owner.FLOWS),
        "ECOM_OBJECT_STORE_URL": settings.lake_url,
    }
    if settings.s3_endpoint_url:
        environment["ECOM_S3_ENDPOINT_URL"] = settings.s3_endpoint_url
    for name in ("s3_access_key_id", "s3_secret_access_key"):
        secret: SecretStr | None = getattr(settings, name)
        if secret is not None:
            environment[f"ECOM_{name.upper()}"] = secret.get_secret_value()
    return environment


@dataclass(frozen=True)
class ChildRun:
    """How a pipeline child process ended."""

    returncode: int
    stdout: str
    stderr: str


async def run_pipeline_in_child(
    settings: FlowSettings, point: CrashPoint = CrashPoint.NONE, nth: int = 1
) -> ChildRun:
    """Run the pipeline in a new process armed to SIGKILL itself at `point`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.flows.silver.crash_child",
        point.value,
        str(nth),
        cwd=REPOSITORY,
        env=child_environment(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), CHILD_TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        raise
    assert process.returncode is not None
    return ChildRun(process.returncode, stdout.decode(), stderr.decode())


async def wait_for_sessions_to_end(database: TestDatabase) -> None:
    """Wait until the server has noticed the dead client and ended (rolled back) its sessions."""
    async with connected(database) as connection:
        for _ in range(200):
            others = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if others == 0:
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the killed pipeline's database sessions did not end")


@dataclass(frozen=True)
class LakeState:
    """What a crash left behind, counted."""

    landing_files: int
    bronze_objects: int
    manifest_rows: int
    ledger_rows: int
    running_runs: int


async def lake_state(database: TestDatabase, store: ObjectStore) -> LakeState:
    async with connected(database) as connection:
        return LakeState(
            landing_files=len(pending_landing_keys(store)),
            bronze_objects=len(store.list("bronze")),
            manifest_rows=await connection.fetchval("SELECT count(*) FROM ops.bronze_files"),
            ledger_rows=await connection.fetchval("SELECT count(*) FROM ops.file_ledger"),
            running_runs=await connection.fetchval(
                "SELECT count(*) FROM ops.pipeline_runs WHERE status = 'running'"
            ),
        )


@dataclass(frozen=True)
class Crash:
    """Where the pipeline is killed, and what must be left half done there."""

    point: CrashPoint
    nth: int
    after: LakeState
    on_s3: bool = False

    @property
    def name(self) -> str:
        return f"{self.point}-{self.nth}{'-s3' if self.on_s3 else ''}"


LAKE_FILES = 14  # ten entities of history, four of them again in the batch
# Killed while landing the third file: two landed, the third's bronze object written but its
# manifest row not inserted; or its manifest row committed but the landing file not deleted.
OBJECT_WRITTEN = LakeState(
    landing_files=12, bronze_objects=3, manifest_rows=2, ledger_rows=0, running_runs=1
)
MANIFEST_COMMITTED = LakeState(
    landing_files=12, bronze_objects=3, manifest_rows=3, ledger_rows=0, running_runs=1
)
# Killed inside the transaction of the sixth bronze file (the batch's customers, with SCD2
# versions): all landed, five files committed to silver.
SIXTH_FILE_OPEN = LakeState(
    landing_files=0, bronze_objects=14, manifest_rows=14, ledger_rows=5, running_runs=1
)
CRASHES = [
    Crash(CrashPoint.BRONZE_OBJECT_WRITTEN, 3, OBJECT_WRITTEN),
    Crash(CrashPoint.BRONZE_OBJECT_WRITTEN, 3, OBJECT_WRITTEN, on_s3=True),
    Crash(CrashPoint.MANIFEST_COMMITTED, 3, MANIFEST_COMMITTED),
    Crash(CrashPoint.MID_COPY, 6, SIXTH_FILE_OPEN),
    Crash(CrashPoint.CLASSIFIED, 6, SIXTH_FILE_OPEN),
    Crash(CrashPoint.MID_APPLY, 6, SIXTH_FILE_OPEN),
    Crash(CrashPoint.LEDGER_WRITTEN, 6, SIXTH_FILE_OPEN),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "crash",
    CRASHES,
    ids=[crash.name for crash in CRASHES],
)
async def test_a_pipeline_killed_midway_is_finished_by_the_next_run(
    crash: Crash,
    flow_settings: FlowSettings,
    database: TestDatabase,
    reference: Reference,
    request: pytest.FixtureRequest,
) -> None:
    settings = on_s3(flow_settings, request) if crash.on_s3 else flow_settings
    store = ObjectStore.from_settings(settings)
    assert generate_lake(settings) == reference.landing

    child = await run_pipeline_in_child(settings, crash.point, crash.nth)

    assert child.returncode == -signal.SIGKILL, child.stderr
    assert f"killed at {crash.point} #{crash.nth}" in child.stdout
    await wait_for_sessions_to_end(database)
    assert await lake_state(database, store) == crash.after

    summary = await run_data_pipeline(settings)

    assert not summary.skipped
    assert len(summary.loaded) == LAKE_FILES - crash.after.ledger_rows
    async with connected(database) as connection:
        runs = await connection.fetch(
            "SELECT status, message FROM ops.pipeline_runs ORDER BY started_at"
        )
    assert [(run["status"], run["message"]) for run in runs] == [
        ("failed", ABANDONED_RUN),
        ("succeeded", summary.describe()),
    ]
    assert pending_landing_keys(store) == []
    await assert_matches_the_uninterrupted_run(database, reference)
    # Bronze stays content-addressed: each object holds the bytes its name hashes.
    for key in store.list("bronze"):
        assert hashlib.sha256(store.read_bytes(key)).hexdigest() in key


async def test_three_concurrent_runs_load_every_file_once_without_duplicate_keys(
    flow_settings: FlowSettings, database: TestDatabase, reference: Reference
) -> None:
    assert generate_lake(flow_settings) == reference.landing

    summaries = await asyncio.gather(*(run_data_pipeline(flow_settings) for _ in range(3)))

    loaded = [file.bronze_file_id for summary in summaries for file in summary.loaded]
    assert len(loaded) == len(set(loaded)) == reference.files
    assert any(s.skipped for s in summaries), "the runs did not overlap"
    await assert_matches_the_uninterrupted_run(database, reference)


@pytest.mark.slow
async def test_three_concurrent_pipeline_processes_load_every_file_once(
    flow_settings: FlowSettings, database: TestDatabase, reference: Reference
) -> None:
    assert generate_lake(flow_settings) == reference.landing

    children = await asyncio.gather(*(run_pipeline_in_child(flow_settings) for _ in range(3)))

    assert [child.returncode for child in children] == [0, 0, 0], [c.stderr for c in children]
    await assert_matches_the_uninterrupted_run(database, reference)


async def test_a_lake_on_s3_gives_the_same_silver_as_on_local_disk(
    flow_settings: FlowSettings,
    database: TestDatabase,
    reference: Reference,
    request: pytest.FixtureRequest,
) -> None:
    settings = on_s3(flow_settings, request)
    assert generate_lake(settings) == reference.landing

    summary = await run_data_pipeline(settings)

    assert len(summary.loaded) == reference.files
    assert pending_landing_keys(ObjectStore.from_settings(settings)) == []
    await assert_matches_the_uninterrupted_run(database, reference)
