"""`ecom db init`: idempotent, one least-privilege role per owner, versions inside each schema."""

from __future__ import annotations

import asyncpg
import pytest

from flows.gold.marts import MARTS
from shared.bootstrap import init_database
from shared.database import asyncpg_dsn
from shared.migrations import current_revision, head_revision
from shared.owners import OWNERSHIP, PIPELINE_ROLE, Owner
from tests.conftest import TEST_PASSWORDS, TestDatabase

SCHEMAS = ("ops", "silver", "loyalty", "transparency", "reminders", "admin")


async def test_init_twice_in_a_row_succeeds_and_keeps_data(database: TestDatabase) -> None:
    admin = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.ADMIN)))
    try:
        await admin.execute(
            "INSERT INTO admin.mart_daily_revenue (order_date, channel, region, orders,"
            " cancelled_orders, net_revenue, currency) VALUES ('2026-11-01', 'web', 'north',"
            " 1, 0, 10, 'USD')"
        )
    finally:
        await admin.close()

    await init_database(database.superuser_url, database.name, TEST_PASSWORDS)
    await init_database(database.superuser_url, database.name, TEST_PASSWORDS)

    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        assert await connection.fetchval("SELECT count(*) FROM admin.mart_daily_revenue") == 1
        owners = dict(
            await connection.fetch(
                "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace"
                " WHERE nspname = ANY($1::text[])",
                list(SCHEMAS),
            )
        )
    finally:
        await connection.close()
    assert owners == {
        "ops": "ecom_flows",
        "silver": "ecom_flows",
        "loyalty": "ecom_loyalty",
        "transparency": "ecom_transparency",
        "reminders": "ecom_reminders",
        "admin": "ecom_admin",
    }


async def test_every_owner_is_migrated_to_head_with_its_version_table_in_its_schema(
    database: TestDatabase,
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        for owner, ownership in OWNERSHIP.items():
            assert await current_revision(connection, owner) == head_revision(owner)
            table = f"{ownership.version_schema}.alembic_version"
            assert await connection.fetchval("SELECT to_regclass($1)::text", table) == table
        assert await connection.fetchval("SELECT to_regclass('public.alembic_version')") is None
    finally:
        await connection.close()


async def test_loyalty_role_cannot_select_from_admin(database: TestDatabase) -> None:
    loyalty = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.LOYALTY)))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await loyalty.fetch("SELECT * FROM admin.mart_daily_revenue")
    finally:
        await loyalty.close()


@pytest.mark.parametrize("owner", [o for o in Owner if o is not Owner.FLOWS])
async def test_each_service_role_is_refused_every_other_schema(
    database: TestDatabase, owner: Owner
) -> None:
    own = set(OWNERSHIP[owner].schemas)
    # The admin service reads the pipeline's state through views made for it (flows migration
    # 0008), so it may use `ops`, but read nothing there except those views.
    through_views = {"ops"} if owner is Owner.ADMIN else set()
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(owner)))
    try:
        for schema in SCHEMAS:
            can_use = await connection.fetchval("SELECT has_schema_privilege($1, 'USAGE')", schema)
            assert can_use == (schema in own | through_views), f"{owner.value} on {schema}"
        for schema in through_views:
            readable = await connection.fetch(
                "SELECT c.relname, c.relkind::text AS relkind FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm')"
                " AND has_table_privilege(c.oid, 'SELECT')",
                schema,
            )
            assert readable, f"{owner.value} reads no view in {schema}"
            not_views = [
                row["relname"]
                for row in readable
                if row["relkind"] != "v" or not row["relname"].startswith("api_")
            ]
            assert not_views == [], f"{owner.value} reads more than the api_* views in {schema}"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("CREATE TABLE public.sneaky (id int)")
    finally:
        await connection.close()


async def test_pipeline_role_writes_only_the_marts_granted_to_it(database: TestDatabase) -> None:
    flows = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        await flows.execute("DELETE FROM admin.mart_daily_revenue")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await flows.execute("CREATE TABLE admin.not_ours (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await flows.execute("DROP TABLE admin.mart_daily_revenue")
    finally:
        await flows.close()
    assert PIPELINE_ROLE == "ecom_flows"


async def test_roles_are_plain_logins_without_superpowers(database: TestDatabase) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        rows = await connection.fetch(
            "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles"
            " WHERE rolname LIKE 'ecom\\_%'"
        )
    finally:
        await connection.close()
    assert {row["rolname"] for row in rows} >= {o.role for o in OWNERSHIP.values()}
    assert not any(row["rolsuper"] or row["rolcreatedb"] or row["rolcreaterole"] for row in rows)


# Service tables the pipeline writes besides the marts, each for a documented reason.
PIPELINE_WRITES_BEYOND_MARTS = {
    "admin.products",  # silver's current rows, upserted back into the back office
    "admin.customers",
    "admin.orders",
    "admin.change_outbox",  # trimmed once landed in bronze
    "reminders.notification_outbox",  # the notification hook queues, the dispatcher marks sent
}


async def test_the_pipeline_role_writes_only_the_marts_of_service_schemas(
    database: TestDatabase,
) -> None:
    rows = await database.fetch(
        """
        SELECT schemaname || '.' || tablename AS name FROM pg_tables
        WHERE schemaname IN ('loyalty', 'transparency', 'reminders', 'admin')
          AND (has_table_privilege($1, schemaname || '.' || tablename, 'INSERT')
               OR has_table_privilege($1, schemaname || '.' || tablename, 'UPDATE')
               OR has_table_privilege($1, schemaname || '.' || tablename, 'DELETE'))
        """,
        PIPELINE_ROLE,
    )
    writable = {row["name"] for row in rows}
    assert writable == {mart.table for mart in MARTS} | PIPELINE_WRITES_BEYOND_MARTS
