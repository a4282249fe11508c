"""Every fault the generator injects ends in silver as its manifest says.

A small history and two batches are generated with high fault rates; the pipeline runs after
each, and each manifest record is checked against silver, its rejects, the drift log, the
bronze manifest and the per-file ledger.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

import asyncpg
import pytest

from flows.generator import GenerateRequest, generate
from flows.generator.faults import FaultKind
from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from flows.silver.tables import SILVER_TABLE_BY_ENTITY
from shared.database import asyncpg_dsn
from shared.objectstore import ObjectStore
from tests.conftest import TestDatabase
from tests.flows.generator.lake_files import AS_OF, fault_records

HIGH_RATES = {
    **dict.fromkeys(
        (
            "duplicate_row",
            "newer_update",
            "stale_update",
            "missing_required",
            "malformed_number",
            "malformed_timestamp",
            "unknown_currency",
            "mixed_timestamp_format",
            "formula_text",
            "non_ascii_text",
            "quoted_comma_newline",
        ),
        0.01,
    ),
    "orphan_parent": 0.1,
    "schema_drift": 0.5,
    "reordered_columns": 0.3,
    "utf8_bom": 0.3,
    "duplicate_file": 0.3,
}


def silver_column(entity: str, csv_column: str) -> str:
    """The silver column fed by a CSV column."""
    table = SILVER_TABLE_BY_ENTITY[entity]
    return next(c.name for c in table.columns if c.source_name == csv_column)


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Lakehouse:
    """Reads the state the pipeline left behind."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def bronze_id(self, landing_key: str) -> int:
        name = PurePosixPath(landing_key).name
        value = await self.connection.fetchval(
            "SELECT bronze_file_id FROM ops.bronze_files WHERE original_name = $1", name
        )
        assert value is not None, f"{landing_key} never reached bronze"
        return int(value)

    async def current_row(self, entity: str, key: dict[str, str]) -> asyncpg.Record | None:
        table = SILVER_TABLE_BY_ENTITY[entity]
        where = " AND ".join(f"{column}::text = ${n}" for n, column in enumerate(key, start=1))
        current = " AND is_current" if table.history else ""
        rows = await self.connection.fetch(
            f"SELECT * FROM {table.qualified} WHERE {where}{current}", *key.values()
        )
        assert len(rows) <= 1, f"{entity} {key}: {len(rows)} current rows"
        return rows[0] if rows else None


@pytest.fixture
def faulty_settings(flow_settings: FlowSettings) -> FlowSettings:
    return flow_settings.model_copy(update={"fault_rates": HIGH_RATES, "max_reject_rate": 0.9})


async def test_every_injected_fault_ends_as_the_manifest_says(
    faulty_settings: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    records: list[dict[str, Any]] = []
    inferred_after_run: dict[str, bool] = {}
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    house = Lakehouse(connection)
    try:
        plans = [
            GenerateRequest(days=1, seed=7, as_of=AS_OF),
            GenerateRequest(as_of=datetime.fromtimestamp(AS_OF.timestamp() + 180, UTC)),
            GenerateRequest(as_of=datetime.fromtimestamp(AS_OF.timestamp() + 360, UTC)),
        ]
        orphans_by_run: list[list[str]] = []
        for request in plans:
            [result] = generate(faulty_settings, request)
            batch = fault_records(lake, result)
            records += batch
            await run_data_pipeline(faulty_settings)
            orphans = [
                r["detail"].split()[1] for r in batch if r["kind"] == FaultKind.ORPHAN_PARENT
            ]
            orphans_by_run.append(orphans)
            for customer_id in orphans:
                row = await house.current_row("customers", {"customer_id": customer_id})
                assert row is not None, f"orphan order's customer {customer_id} was not inferred"
                inferred_after_run[customer_id] = row["is_inferred"]

        kinds = Counter(r["kind"] for r in records)
        assert set(kinds) >= {kind.value for kind in FaultKind}, f"faults seen: {kinds}"
        await check_records(house, records)
        # Orphans of the first two batches were inferred, then completed by the next batch.
        for customer_id in orphans_by_run[0] + orphans_by_run[1]:
            row = await house.current_row("customers", {"customer_id": customer_id})
            assert row is not None, customer_id
            assert not row["is_inferred"], customer_id
            assert row["email"] is not None
        assert all(inferred_after_run[c] for c in orphans_by_run[2])
    finally:
        await connection.close()


async def check_records(house: Lakehouse, records: list[dict[str, Any]]) -> None:
    connection = house.connection
    rejected_per_file: Counter[int] = Counter()
    expected_unchanged: Counter[int] = Counter()
    expected_stale: Counter[int] = Counter()
    for record in records:
        expected, entity = record["expected"], record["entity"]
        if expected == "file_deduplicated":
            sha = await connection.fetchval(
                "SELECT count(*) FROM ops.bronze_files WHERE original_name = $1",
                PurePosixPath(record["file"]).name,
            )
            assert sha == 0, f"{record['file']}: a resent copy was landed again"
            continue
        file_id = await house.bronze_id(record["file"])
        if expected == "rejected":
            rule = await connection.fetchval(
                "SELECT rule FROM silver.rejects WHERE bronze_file_id = $1 AND line_number = $2",
                file_id,
                record["line"],
            )
            assert rule == record["rule"], f"{record}: rejected as {rule}"
            rejected_per_file[file_id] += 1
        elif expected == "drift":
            change = await connection.fetchval(
                "SELECT change FROM ops.schema_drift WHERE bronze_file_id = $1"
                " AND column_name = $2",
                file_id,
                record["column"],
            )
            assert change == "added", record
            kept = await connection.fetchval(
                f"SELECT count(*) FROM silver.{entity} WHERE bronze_file_id = $1 AND extras ? $2",
                file_id,
                record["column"],
            )
            filled = await connection.fetchval(
                "SELECT rows_inserted + rows_updated FROM ops.file_ledger"
                " WHERE bronze_file_id = $1",
                file_id,
            )
            assert filled == 0 or kept > 0, f"{record}: drift column values not kept in extras"
        elif expected == "unchanged":
            expected_unchanged[file_id] += 1
            assert await house.current_row(entity, record["key"]) is not None, record
        elif expected == "stale":
            expected_stale[file_id] += 1
            row = await house.current_row(entity, record["key"])
            assert row is not None, record
            stale_at = parse_iso(record["detail"].removeprefix("updated_at "))
            assert row["updated_at"] > stale_at, f"{record}: the stale update was applied"
        elif expected == "inferred_parent":
            row = await house.current_row(entity, record["key"])
            assert row is not None, f"{record}: the orphan row was not loaded"
        elif expected == "applied" and record.get("line") is not None:
            await check_applied(house, record, file_id)
        elif expected == "applied":  # a file-level fault: reordered header or BOM
            read, rejected = await connection.fetchrow(
                "SELECT rows_read, rows_rejected FROM ops.file_ledger WHERE bronze_file_id = $1",
                file_id,
            )
            rows = await connection.fetchval(
                "SELECT rows FROM ops.bronze_files WHERE bronze_file_id = $1", file_id
            )
            assert read == rows, record
            assert rejected < rows, record
    # No clean row was rejected: each file's rejects are exactly its rejected faults.
    for file_id, rejects in await connection.fetch(
        "SELECT bronze_file_id, count(*) FROM silver.rejects GROUP BY 1"
    ):
        assert rejects == rejected_per_file[file_id], f"bronze file {file_id}"
    for file_id, count in expected_unchanged.items():
        unchanged = await connection.fetchval(
            "SELECT rows_unchanged FROM ops.file_ledger WHERE bronze_file_id = $1", file_id
        )
        assert unchanged >= count, f"bronze file {file_id}: duplicates not counted unchanged"
    for file_id, count in expected_stale.items():
        stale = await connection.fetchval(
            "SELECT rows_stale FROM ops.file_ledger WHERE bronze_file_id = $1", file_id
        )
        assert stale >= count, f"bronze file {file_id}: stale updates not counted"


async def check_applied(house: Lakehouse, record: dict[str, Any], file_id: int) -> None:
    """A row fault the pipeline must load as written (normalised)."""
    row = await house.current_row(record["entity"], record["key"])
    assert row is not None, f"{record}: not in silver"
    from_this_line = (row["bronze_file_id"], row["source_line"]) == (file_id, record["line"])
    if not from_this_line:
        # Superseded since by a later file; only a later file may replace it.
        assert row["bronze_file_id"] >= file_id, record
        return
    column = silver_column(record["entity"], record["column"])
    kind = record["kind"]
    if kind == FaultKind.MIXED_TIMESTAMP_FORMAT:
        original = record["detail"].rsplit(" is ", 1)[1]
        assert row[column] == parse_iso(original), record
    elif kind == FaultKind.NEWER_UPDATE:
        assert row["updated_at"] == parse_iso(record["detail"].removeprefix("updated_at "))
    elif kind == FaultKind.NON_ASCII_TEXT:
        assert f"{row['first_name']} {row['last_name']}" == record["detail"], record
    else:  # formula text, quoted commas and newlines: kept byte for byte
        assert row[column] == record["detail"], json.dumps(record)
