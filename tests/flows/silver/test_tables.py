"""The silver declarations, the migrated tables and the generator's files agree."""

from __future__ import annotations

import asyncpg
import pytest

from flows.generator.entities import ENTITIES, EntitySpec
from flows.silver.tables import SILVER_TABLE_BY_ENTITY, SILVER_TABLES, ColumnType, SilverTable
from shared.database import asyncpg_dsn
from tests.conftest import TestDatabase

POSTGRES_TYPES = {
    ColumnType.TEXT: "text",
    ColumnType.CURRENCY: "text",
    ColumnType.INTEGER: "integer",
    ColumnType.DECIMAL: "numeric",
    ColumnType.TIMESTAMP: "timestamp with time zone",
    ColumnType.DATE: "date",
    ColumnType.BOOLEAN: "boolean",
}
PROVENANCE = {"extras", "bronze_file_id", "source_line", "loaded_at"}
SCD2 = {"version_id", "valid_from", "valid_to", "is_current", "is_inferred"}


@pytest.mark.parametrize("spec", ENTITIES, ids=lambda spec: spec.name)
def test_every_generated_column_is_declared_and_required_alike(spec: EntitySpec) -> None:
    table = SILVER_TABLE_BY_ENTITY[spec.name]
    assert set(spec.columns) == table.source_columns
    required = {c.source_name for c in table.columns if c.required}
    assert set(spec.required) <= required
    assert spec.key == table.key


@pytest.mark.parametrize("table", SILVER_TABLES, ids=lambda table: table.name)
async def test_the_migrated_table_matches_its_declaration(
    table: SilverTable, database: TestDatabase
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        columns = {
            row["column_name"]: row["data_type"]
            for row in await connection.fetch(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = 'silver' AND table_name = $1",
                table.name,
            )
        }
        unique_keys = {
            tuple(row["columns"])
            for row in await connection.fetch(
                """
                SELECT array_agg(a.attname ORDER BY k.ordinality) AS columns
                FROM pg_index i
                CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, ordinality)
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indrelid = $1::regclass AND i.indisunique
                GROUP BY i.indexrelid
                """,
                table.qualified,
            )
        }
    finally:
        await connection.close()

    declared = {c.name: POSTGRES_TYPES[c.type] for c in table.columns}
    if table.fx is not None:
        declared["fx_rate"] = "numeric"
        declared |= {f"{amount}_base": "numeric" for amount in table.fx.amounts}
    extra = PROVENANCE | (SCD2 if table.history else set())
    if table.soft_delete:
        declared["deleted_at"] = "timestamp with time zone"
    assert {k: v for k, v in columns.items() if k not in extra} == declared
    assert set(columns) >= extra
    assert table.key in unique_keys
