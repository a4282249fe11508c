"""Test fixtures: a real PostgreSQL for the whole session, a fresh database for every test.

`ECOM_TEST_DATABASE_URL` (a superuser URL) selects an existing server; otherwise an embedded
server is started in a temporary folder. Each test gets its own database, cloned from a template
that `ecom db init` prepared once, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import boto3
import pytest
from moto.server import ThreadedMotoServer

from deploy.cli.prefect_env import prefect_environment
from shared.bootstrap import ensure_schemas_and_grants, init_database
from shared.database import asyncpg_dsn, with_database, with_login
from shared.embedded_postgres import EmbeddedPostgres
from shared.owners import OWNERSHIP, Owner

# Coverage per package and the whole suite's floor (issue 20).
pytest_plugins = ["tests.coverage_gate"]

TEST_PASSWORDS = {owner: f"test-{owner.value}-pw" for owner in Owner}

# Prefect offline and out of the user's ~/.prefect, before any test imports it.
for _name, _value in prefect_environment(
    Path(tempfile.mkdtemp(prefix="ecom-test-prefect-"))
).items():
    os.environ.setdefault(_name, _value)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class TestDatabase:
    """One test's database and the URLs to reach it as each role."""

    __test__ = False  # not a test class despite the name

    superuser_url: str
    name: str

    @property
    def url(self) -> str:
        """Superuser URL of this database."""
        return with_database(self.superuser_url, self.name)

    def role_url(self, owner: Owner) -> str:
        """URL connecting as `owner`'s role."""
        return with_login(
            self.superuser_url, OWNERSHIP[owner].role, TEST_PASSWORDS[owner], self.name
        )

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        """Rows of a query run as the superuser on a connection of its own."""
        connection = await asyncpg.connect(asyncpg_dsn(self.url))
        try:
            rows: list[asyncpg.Record] = await connection.fetch(query, *args)
            return rows
        finally:
            await connection.close()

    async def rows(self, query: str, *args: object) -> list[tuple[object, ...]]:
        """`fetch` as plain tuples, for comparing whole results."""
        return [tuple(row) for row in await self.fetch(query, *args)]


@pytest.fixture(scope="session")
def postgres_superuser_url() -> Iterator[str]:
    """Superuser URL (maintenance database) of the session's PostgreSQL server."""
    configured = os.environ.get("ECOM_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    folder = Path(tempfile.mkdtemp(prefix="ecom-test-pg-"))
    server = EmbeddedPostgres(folder / "pgdata", free_port())
    server.start()
    try:
        yield server.url
    finally:
        server.discard()  # as root, its cluster lives under /var/lib/ecom-postgres
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(postgres_superuser_url: str) -> str:
    """A database initialised and migrated by `init_database`, cloned by every test.

    The `ecom_*` roles are cluster-wide: a benchmark or `ecom db init` run earlier against the
    same test server leaves them with its own passwords, so the suite sets the test ones (the
    test server is the suite's to use, as ECOM_TEST_DATABASE_URL's documentation says)."""
    name = f"ecom_template_{uuid.uuid4().hex[:8]}"
    asyncio.run(init_database(postgres_superuser_url, name, TEST_PASSWORDS, reset_passwords=True))
    return name


@pytest.fixture
async def database(
    postgres_superuser_url: str, template_database: str
) -> AsyncIterator[TestDatabase]:
    """A fresh, migrated database for one test, dropped afterwards."""
    name = f"ecom_test_{uuid.uuid4().hex[:12]}"
    maintenance = await asyncpg.connect(asyncpg_dsn(postgres_superuser_url))
    try:
        await maintenance.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    finally:
        await maintenance.close()
    test_db = TestDatabase(postgres_superuser_url, name)
    # Database-level grants are not copied from a template; apply them as `db init` does.
    connection = await asyncpg.connect(asyncpg_dsn(test_db.url))
    try:
        await ensure_schemas_and_grants(connection, name)
    finally:
        await connection.close()
    yield test_db
    maintenance = await asyncpg.connect(asyncpg_dsn(postgres_superuser_url))
    try:
        await maintenance.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await maintenance.close()


S3_BUCKET = "ecom-lake"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API (moto's server) on 127.0.0.1 with one bucket; any key pair works."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=S3_BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def s3_lake_url(s3_endpoint: str) -> str:
    """A lake root no other test uses, in the S3 bucket."""
    return f"s3://{S3_BUCKET}/{uuid.uuid4().hex}"
