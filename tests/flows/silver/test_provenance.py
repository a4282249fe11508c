"""A silver row's provenance (bronze_file_id) is checked once per file, not by a foreign key per
row (migration 0010): the load refuses a file ops.bronze_files does not hold, and
ops.bronze_files never loses a row, so the file a silver row names is always there."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from flows.silver import BronzeFile, LoadOptions, load_bronze_file
from flows.silver.load import UnknownBronzeFileError
from flows.silver.tables import ORDERS
from shared.database import asyncpg_dsn
from shared.objectstore import ObjectStore
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.flows.entity_csv import land_rows
from tests.flows.orders_csv import order_row


async def test_every_silver_row_names_a_bronze_file_that_cannot_be_deleted(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    land_rows(lake, "orders", "one", [order_row("O-1"), order_row("O-2")])
    await run_data_pipeline(flow_settings)
    named = await database.rows(
        "SELECT o.order_id, b.entity FROM silver.orders o"
        " LEFT JOIN ops.bronze_files b USING (bronze_file_id) ORDER BY 1"
    )
    assert named == [("O-1", "orders"), ("O-2", "orders")]

    owner = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        for statement in ("DELETE FROM ops.bronze_files", "TRUNCATE ops.bronze_files CASCADE"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="keeps every landed"):
                await owner.execute(statement)
    finally:
        await owner.close()
    assert len(await database.rows("SELECT 1 FROM ops.bronze_files")) == 1


async def test_a_file_missing_from_ops_bronze_files_is_refused_and_writes_nothing(
    flow_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    key = land_rows(lake, "orders", "stray", [order_row("O-STRAY")])
    stray = BronzeFile(bronze_file_id=987654, entity="orders", bronze_path=key)
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        with pytest.raises(UnknownBronzeFileError, match="987654"):
            await load_bronze_file(
                connection,
                lake,
                stray,
                uuid.uuid4(),
                LoadOptions.for_table(flow_settings, ORDERS),
            )
    finally:
        await connection.close()
    assert await database.rows("SELECT order_id FROM silver.orders") == []
    assert await database.rows("SELECT bronze_file_id FROM ops.file_ledger") == []
