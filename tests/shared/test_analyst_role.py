"""The analyst login of `ecom db init`: every mart readable, nothing else, no writes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from deploy.database import mart_tables
from flows.gold.marts import MARTS
from shared.analyst_access import ANALYST_ROLE, ANALYST_VIEWS
from shared.bootstrap import BootstrapRefusedError, init_database
from shared.database import asyncpg_dsn, with_login
from tests.conftest import TEST_PASSWORDS, TestDatabase

ANALYST_PASSWORD = "test-analyst-pw"

# Closed to the analyst: silver, the back office (personal data), the outbox, pipeline internals.
REFUSED = (
    "silver.customers",
    "silver.orders",
    "silver.rejects",
    "admin.customers",
    "admin.orders",
    "admin.change_outbox",
    "reminders.notification_outbox",
    "ops.pipeline_runs",
    "ops.api_rejects",
)


@pytest.fixture
async def analyst(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the analyst after `ecom db init` made the login on this database."""
    await init_database(
        database.superuser_url,
        database.name,
        TEST_PASSWORDS,
        analyst_password=ANALYST_PASSWORD,
        analyst_marts=mart_tables(),  # what `ecom db init` grants (deploy/database.py)
    )
    connection = await asyncpg.connect(
        asyncpg_dsn(
            with_login(database.superuser_url, ANALYST_ROLE, ANALYST_PASSWORD, database.name)
        )
    )
    try:
        yield connection
    finally:
        await connection.close()


async def test_every_mart_and_analyst_view_is_readable(
    database: TestDatabase, analyst: asyncpg.Connection
) -> None:
    first = MARTS[0].table
    await database.fetch(
        f"INSERT INTO {first} (order_date, channel, region, orders, cancelled_orders,"
        " net_revenue, currency) VALUES ('2026-11-01', 'web', 'north', 3, 0, 42.5, 'USD')"
    )
    assert await analyst.fetchval(f"SELECT sum(net_revenue) FROM {first}") == 42.5
    for name in (*(mart.table for mart in MARTS), *ANALYST_VIEWS):
        rows = await analyst.fetch(f"SELECT * FROM {name} LIMIT 1")
        assert isinstance(rows, list), name


@pytest.mark.parametrize("table", REFUSED)
async def test_silver_back_office_outbox_and_ops_are_refused(
    analyst: asyncpg.Connection, table: str
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await analyst.fetch(f"SELECT * FROM {table} LIMIT 1")


async def test_the_analyst_may_read_exactly_the_marts_and_its_views(
    database: TestDatabase, analyst: asyncpg.Connection
) -> None:
    rows = await database.fetch(
        "SELECT n.nspname || '.' || c.relname AS name FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p', 'v', 'm')"
        " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        " AND has_table_privilege($1, c.oid, 'SELECT')",
        ANALYST_ROLE,
    )
    assert {row["name"] for row in rows} == {mart.table for mart in MARTS} | set(ANALYST_VIEWS)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO {mart} DEFAULT VALUES",
        "UPDATE {mart} SET refreshed_at = now()",
        "DELETE FROM {mart}",
        "TRUNCATE {mart}",
        "DROP TABLE {mart}",
        "CREATE TABLE public.analyst_scratch (id int)",
        "CREATE TABLE {schema}.analyst_scratch (id int)",
        "CREATE TEMPORARY TABLE analyst_scratch (id int)",
        "CREATE VIEW {schema}.analyst_view AS SELECT 1 AS one",
    ],
)
async def test_every_write_is_refused_even_outside_read_only_transactions(
    analyst: asyncpg.Connection, statement: str
) -> None:
    mart = MARTS[0].table
    sql = statement.format(mart=mart, schema=mart.split(".", 1)[0])
    with pytest.raises((asyncpg.ReadOnlySQLTransactionError, asyncpg.InsufficientPrivilegeError)):
        await analyst.execute(sql)
    # The read-only default is only a first guard: with it off, the grants still refuse.
    await analyst.execute("SET default_transaction_read_only = off")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await analyst.execute(sql)


async def test_the_analyst_role_has_no_superpowers(
    database: TestDatabase, analyst: asyncpg.Connection
) -> None:
    [row] = await database.fetch(
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls"
        " FROM pg_roles WHERE rolname = $1",
        ANALYST_ROLE,
    )
    assert not any(row.values())


async def test_another_analyst_password_is_refused_unless_reset(
    database: TestDatabase, analyst: asyncpg.Connection
) -> None:
    with pytest.raises(BootstrapRefusedError, match="ECOM_DB_PASSWORD_ANALYST"):
        await init_database(
            database.superuser_url, database.name, TEST_PASSWORDS, analyst_password="other-pw"
        )
