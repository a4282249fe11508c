"""Each service's table models say what its Alembic history builds: Alembic's autogenerate
comparison (`compare_metadata`) of a freshly migrated database with the owner's `metadata`
finds nothing to change.

What is compared: which tables exist in the owner's schema, their columns, column types
(`compare_type`: text vs char(3), numeric precision and scale, timestamptz vs timestamp,
array and jsonb), nullability, server defaults (`compare_server_default`: Alembic renders
both sides and compares them, by value where PostgreSQL can evaluate them, else as the text
PostgreSQL reports, e.g. `(gen_random_uuid())::text`), primary keys, unique constraints,
indexes (their names, columns, uniqueness and expressions such as `lower(email)`) and
foreign keys.

What is not: column and table comments (they document the marts and live in the migrations
only), CHECK constraints, triggers and grants (Alembic's comparison has no notion of them;
tests/services/test_schema_isolation.py and the audit tests check grants and triggers).

Views are not tables to Alembic: the `ops.api_*` views the admin service declares (the flows
own `ops`) are compared column by column, names and types, in the last test.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, Numeric, inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from services.admin import tables as admin_tables
from services.admin.entities import pipeline as pipeline_views
from services.loyalty import tables as loyalty_tables
from services.reminders import tables as reminders_tables
from services.transparency import tables as transparency_tables
from shared.database import sqlalchemy_url
from shared.owners import OWNERSHIP, Owner
from tests.conftest import TestDatabase

METADATA: dict[Owner, MetaData] = {
    Owner.ADMIN: admin_tables.metadata,
    Owner.LOYALTY: loyalty_tables.metadata,
    Owner.REMINDERS: reminders_tables.metadata,
    Owner.TRANSPARENCY: transparency_tables.metadata,
}

# Tables a migration creates that the owner's service neither reads nor writes, so it models
# none of them; each with the reason.
NOT_MODELLED: dict[Owner, dict[str, str]] = {
    Owner.REMINDERS: {
        "reminder_candidates": "a mart the pipeline builds and reads (flows/gold); the reminders"
        " service has no route over it",
    },
}
# Differences Alembic reports that are documentation, not structure (see the module docstring).
IGNORED_DIFFERENCES = frozenset({"modify_comment", "add_table_comment", "remove_table_comment"})


def _differences(
    connection: Connection, owner: Owner, metadata: MetaData | None = None
) -> list[str]:
    """What autogenerate would change to bring the migrated schema to the owner's metadata
    (or to `metadata`, standing in for it)."""
    schema = OWNERSHIP[owner].version_schema
    skipped = {"alembic_version", *NOT_MODELLED.get(owner, {})}

    def include_name(name: str | None, kind: str, parent: dict[str, str | None]) -> bool:
        if kind == "schema":
            return name == schema
        return not (kind == "table" and name in skipped)

    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_schemas": True,
            "include_name": include_name,
        },
    )
    with warnings.catch_warnings():
        # Expression indexes cannot be reflected into comparable columns; Alembic says so.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        found = compare_metadata(context, metadata or METADATA[owner])
    return [_describe(diff) for diff in _flatten(found) if diff[0] not in IGNORED_DIFFERENCES]


def _flatten(differences: list[Any]) -> list[tuple[Any, ...]]:
    """Column-level differences come as lists of tuples; table-level ones as tuples."""
    flat: list[tuple[Any, ...]] = []
    for difference in differences:
        flat.extend(difference if isinstance(difference, list) else [difference])
    return flat


def _describe(difference: tuple[Any, ...]) -> str:
    """One difference in words: what, where, the database's side, then the model's."""
    kind = difference[0]
    if kind.startswith("modify_"):  # (kind, schema, table, column, existing, database, model)
        _kind, schema, table, column, _existing, in_database, in_model = difference
        return (
            f"{kind} {schema}.{table}.{column}:"
            f" database {_shown(in_database)}, model {_shown(in_model)}"
        )
    if kind in ("add_column", "remove_column"):  # (kind, schema, table, column)
        return f"{kind} {difference[1]}.{difference[2]}.{difference[3].name}"
    subject = difference[1]
    name = getattr(subject, "name", subject)
    table = getattr(subject, "table", None)
    where = f"{table.name}.{name}" if table is not None else name
    return f"{kind} {where}"


def _shown(value: Any) -> str:
    """A default by its SQL text, anything else by its repr."""
    argument = getattr(value, "arg", None)
    return str(getattr(argument, "text", argument)) if argument is not None else repr(value)


async def _compared(
    database: TestDatabase, owner: Owner, metadata: MetaData | None = None
) -> list[str]:
    engine = create_async_engine(sqlalchemy_url(database.url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences, owner, metadata)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("owner", sorted(METADATA))
async def test_table_models_match_the_migrated_schema(database: TestDatabase, owner: Owner) -> None:
    differences = await _compared(database, owner)
    assert differences == [], "\n".join(differences)


async def test_a_model_that_drifts_from_the_migrations_is_reported(
    database: TestDatabase,
) -> None:
    drifted = MetaData(schema="admin")
    for table in admin_tables.metadata.tables.values():
        table.to_metadata(drifted)
    products = drifted.tables["admin.products"]
    products.c.name.nullable = True
    products.c.cost.type = Numeric(12, 2)
    products.c.active.server_default = None

    differences = await _compared(database, Owner.ADMIN, drifted)

    assert sorted(difference.split(":")[0] for difference in differences) == [
        "modify_default admin.products.active",
        "modify_nullable admin.products.name",
        "modify_type admin.products.cost",
    ]


@pytest.mark.parametrize("owner", sorted(NOT_MODELLED))
async def test_tables_left_unmodelled_exist(database: TestDatabase, owner: Owner) -> None:
    schema = OWNERSHIP[owner].version_schema
    rows = await database.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename = ANY($2::text[])",
        schema,
        list(NOT_MODELLED[owner]),
    )
    assert sorted(row["tablename"] for row in rows) == sorted(NOT_MODELLED[owner])


def _view_columns(connection: Connection) -> dict[str, dict[str, str]]:
    """Each `ops.api_*` view the admin service declares: its columns whose type, as PostgreSQL
    reports it, differs from the declared one (database type, declared type)."""
    inspector = inspect(connection)
    dialect = connection.dialect
    drift: dict[str, dict[str, str]] = {}
    for view in pipeline_views.views.tables.values():
        found = {
            column["name"]: column["type"].compile(dialect)
            for column in inspector.get_columns(view.name, schema="ops")
        }
        declared = {column.name: column.type.compile(dialect) for column in view.c}
        differing = {
            name: f"{found.get(name)} / {declared.get(name)}"
            for name in found.keys() | declared.keys()
            if found.get(name) != declared.get(name)
        }
        if differing:
            drift[view.name] = differing
    return drift


async def test_the_pipeline_views_the_admin_service_reads_are_declared_as_migrated(
    database: TestDatabase,
) -> None:
    """The flows own `ops`; the admin service declares the views it may read there
    (services/admin/entities/pipeline.py). Alembic compares no views, so names and types are
    compared here (a view's columns have no nullability or defaults of their own)."""
    engine = create_async_engine(sqlalchemy_url(database.url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            drift = await connection.run_sync(_view_columns)
    finally:
        await engine.dispose()
    assert len(pipeline_views.views.tables) >= 7
    assert drift == {}
