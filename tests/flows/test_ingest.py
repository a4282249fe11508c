"""Per-file isolation: good and bad files dropped into landing in one go; every bad file is
quarantined with its reason, every good row reaches silver, and nothing stalls later runs."""

from __future__ import annotations

import pytest

from flows.bronze import describe_csv, pending_landing_keys
from flows.pipeline import run_data_pipeline
from flows.replay import replay_silver
from flows.settings import FlowSettings
from shared.objectstore import ObjectStore
from tests.conftest import TestDatabase
from tests.flows.bad_files import (
    BAD_FILES,
    GOOD_CUSTOMERS,
    GOOD_FILES,
    GOOD_ORDERS,
    settings_for_bad_files,
)
from tests.flows.s3_lake import on_s3
from tests.flows.silver_state import checksums


@pytest.fixture(params=["local", "s3"])
def mixed_settings(flow_settings: FlowSettings, request: pytest.FixtureRequest) -> FlowSettings:
    """The bad files' settings, with the lake on local disk or in the moto S3 server."""
    settings = settings_for_bad_files(flow_settings)
    return settings if request.param == "local" else on_s3(settings, request)


async def test_bad_files_are_quarantined_and_every_good_row_reaches_silver(
    mixed_settings: FlowSettings, database: TestDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    lake = ObjectStore.from_settings(mixed_settings)
    for key, content in GOOD_FILES.items():
        lake.write_atomic(key, content)
    for bad in BAD_FILES:
        lake.write_atomic(bad.key, bad.content)

    summary = await run_data_pipeline(mixed_settings)

    # Every bad file is quarantined with its stage, error and reason; the rest go on.
    by_sha = {
        row["sha256"]: row for row in await database.fetch("SELECT * FROM ops.quarantined_files")
    }
    expected = [bad for bad in BAD_FILES if bad.quarantined]
    assert len(summary.quarantined) == len(by_sha) == len(expected)
    for bad in expected:
        row = by_sha[bad.sha256]
        assert (row["stage"], row["error_class"]) == (bad.stage, bad.error), bad.case
        assert bad.reason in row["reason"], (bad.case, row["reason"])
        assert row["rows"] == bad.rows, bad.case
        if bad.stage == "landing":
            assert row["source_key"] == bad.key
            assert lake.read_bytes(row["quarantine_key"]) == bad.content, "kept whole"
    assert pending_landing_keys(lake) == [], "nothing stays in landing to block later runs"
    unknown = [r for r in caplog.records if "landing folder 'refunds'" in r.getMessage()]
    assert unknown, "a warning names the unknown folder"
    assert unknown[0].levelname == "WARNING"
    assert "customers, distributors" in unknown[0].getMessage(), "and the known entities"

    # Every good row is in silver.
    assert await database.rows("SELECT order_id FROM silver.orders ORDER BY 1") == [
        (order_id,) for order_id in GOOD_ORDERS
    ]
    customers = {row[0] for row in await database.rows("SELECT customer_id FROM silver.customers")}
    assert set(GOOD_CUSTOMERS) | {"C-OK"} <= customers

    # Every record of every file is accounted for: in the ledger or in the quarantine.
    ledger = {
        row["sha256"]: row["rows_read"]
        for row in await database.fetch(
            "SELECT b.sha256, sum(l.rows_read) AS rows_read"
            " FROM ops.file_ledger l JOIN ops.bronze_files b USING (bronze_file_id) GROUP BY 1"
        )
    }
    for bad in BAD_FILES:
        if bad.quarantined:
            assert bad.sha256 not in ledger, bad.case
        else:
            assert ledger[bad.sha256] == bad.rows, bad.case
    good_rows = sum(describe_csv(content)[1] for content in GOOD_FILES.values())
    assert sum(ledger.values()) == sum(b.rows for b in BAD_FILES if not b.quarantined) + good_rows

    # The run says so: its row, its summary and its artifact name every file and the next step.
    [run] = await database.fetch("SELECT * FROM ops.pipeline_runs")
    assert (run["status"], run["files_quarantined"]) == ("quarantined", len(expected))
    for q in summary.quarantined:
        assert q.source_key in run["message"]
        assert q.source_key in summary.as_markdown()
    assert "ecom pipeline quarantine retry ID" in run["message"]
    assert "ecom pipeline quarantine retry ID" in summary.as_markdown()

    # The next run, a full replay and another run succeed, and change nothing.
    before = await checksums(database)
    after_next = await run_data_pipeline(mixed_settings)
    assert (after_next.loaded, after_next.quarantined, after_next.landed) == ([], [], [])
    replay = await replay_silver(mixed_settings)
    assert replay.quarantined == []
    assert len(replay.loaded) == len(GOOD_FILES) + 1  # the huge-field file
    assert await checksums(database) == before
    again = await run_data_pipeline(mixed_settings)
    assert (again.loaded, again.quarantined) == ([], [])
    assert await checksums(database) == before
    statuses = await database.rows("SELECT kind, status FROM ops.pipeline_runs ORDER BY started_at")
    assert statuses == [
        ("incremental", "quarantined"),
        ("incremental", "succeeded"),
        ("replay", "succeeded"),
        ("incremental", "succeeded"),
    ]


async def test_a_file_outside_an_entity_folder_stays_in_landing_with_a_warning(
    flow_settings: FlowSettings, lake: ObjectStore, caplog: pytest.LogCaptureFixture
) -> None:
    lake.write_atomic("landing/stray.csv", b"a,b\n1,2\n")

    summary = await run_data_pipeline(flow_settings)

    assert (summary.landed, summary.quarantined) == ([], [])
    assert lake.exists("landing/stray.csv")
    assert "landing/stray.csv is not in an entity folder" in caplog.text
