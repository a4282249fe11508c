"""Record-level rules: a bad record is a reject with its rule and raw text, never a failed file."""

from __future__ import annotations

import pytest

from flows.pipeline import run_data_pipeline
from flows.replay import replay_rejects, replay_silver
from flows.run_summary import PipelineSummary
from flows.settings import FlowSettings
from flows.silver.rules import BAD_ENCODING
from flows.silver.tables import DISTRIBUTORS
from shared.objectstore import ObjectStore
from tests.conftest import TestDatabase
from tests.flows.entity_csv import land_rows
from tests.flows.orders_csv import order_row
from tests.flows.silver.record_cases import CASES, GOOD_ROWS, KEY_COLUMN, RecordCase, case_file
from tests.flows.silver_state import checksums


@pytest.fixture
def tolerant(flow_settings: FlowSettings) -> FlowSettings:
    """Settings under which a file of mostly bad records does not fail the run."""
    return flow_settings.model_copy(update={"max_reject_rate": 1.0})


def land_case_files(lake: ObjectStore, cases: list[RecordCase], name: str) -> None:
    """Each entity's good rows and bad records in one file (and the order the items need)."""
    land_rows(lake, "orders", f"{name}-parents", [order_row("O-1")])
    for entity in sorted({case.entity for case in cases}):
        key = f"landing/{entity}/{name}.csv"
        lake.write_atomic(key, case_file(entity, GOOD_ROWS[entity], cases))


async def assert_rejected_as_declared(database: TestDatabase, cases: list[RecordCase]) -> None:
    """Each case is rejected once, with its rule and its raw value as the case says."""
    for case in cases:
        rows = await database.fetch(
            "SELECT rule, raw_row ->> $4 AS kept, message FROM silver.rejects"
            " WHERE entity = $1 AND raw_row ->> $2 = $3",
            case.entity,
            KEY_COLUMN[case.entity],
            case.key,
            case.column,
        )
        assert len(rows) == 1, f"{case.fault}: {len(rows)} rejects"
        [reject] = rows
        assert reject["rule"] == case.rule, f"{case.fault}: {reject['message']}"
        assert reject["kept"] == case.kept(), case.fault


async def assert_good_rows_loaded(database: TestDatabase, entities: set[str]) -> None:
    for entity in entities:
        key = KEY_COLUMN[entity]
        loaded = {row[key] for row in await database.fetch(f"SELECT {key} FROM silver.{entity}")}
        assert loaded == {row[key] for row in GOOD_ROWS[entity]}, entity


def assert_balanced(summary: PipelineSummary) -> None:
    for file in summary.loaded:
        assert file.accounted == file.rows_read, file


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.fault.replace(" ", "_"))
async def test_a_bad_record_is_rejected_with_its_rule_and_its_file_loads(
    case: RecordCase, tolerant: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    land_case_files(lake, [case], "one-case")
    summary = await run_data_pipeline(tolerant)

    assert_balanced(summary)
    [loaded] = [file for file in summary.loaded if file.entity == case.entity]
    assert (loaded.rows_read, loaded.rejected) == (len(GOOD_ROWS[case.entity]) + 1, 1)
    await assert_rejected_as_declared(database, [case])
    await assert_good_rows_loaded(database, {case.entity})


async def test_one_file_with_every_class_of_bad_record_loads_its_good_rows_and_replays_alike(
    tolerant: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    land_case_files(lake, CASES, "every-case")
    first = await run_data_pipeline(tolerant)

    assert_balanced(first)
    assert first.total("rejected") == len(CASES)
    await assert_rejected_as_declared(database, CASES)
    await assert_good_rows_loaded(database, {case.entity for case in CASES})
    [(ledgers_balance,)] = await database.rows(
        "SELECT bool_and(rows_read = rows_inserted + rows_updated + rows_unchanged + rows_stale"
        " + rows_rejected) FROM ops.file_ledger"
    )
    assert ledgers_balance
    loaded = await checksums(database)

    second = await run_data_pipeline(tolerant)
    assert second.loaded == []
    assert await checksums(database) == loaded

    # Re-checking the rejects that keep their record exactly changes nothing: they still fail.
    rechecked = await replay_rejects(tolerant)
    assert rechecked.total("inserted") == rechecked.total("updated") == 0
    assert await checksums(database) == loaded

    replayed = await replay_silver(tolerant)
    assert_balanced(replayed)
    assert replayed.total("rejected") == len(CASES)
    assert await checksums(database) == loaded


async def test_a_file_in_latin_1_loads_its_ascii_records_and_rejects_the_others(
    tolerant: FlowSettings, lake: ObjectStore, database: TestDatabase
) -> None:
    rows = [
        GOOD_ROWS["distributors"][0] | {"distributor_id": f"D-{n}", "name": name}
        for n, name in enumerate(["Plain Beans", "Caf\u00e9 Noir", "Gr\u00fcn", "Also Plain"])
    ]
    columns = [column.source_name for column in DISTRIBUTORS.columns]
    text = "\n".join([",".join(columns), *(",".join(row[c] for c in columns) for row in rows)])
    lake.write_atomic("landing/distributors/latin1.csv", (text + "\n").encode("latin-1"))

    [loaded] = (await run_data_pipeline(tolerant)).loaded

    assert (loaded.rows_read, loaded.inserted, loaded.rejected) == (4, 2, 2)
    rejects = await database.rows(
        "SELECT raw_row ->> 'name', rule FROM silver.rejects ORDER BY line_number"
    )
    assert rejects == [("Caf\\xe9 Noir", BAD_ENCODING), ("Gr\\xfcn", BAD_ENCODING)]
    names = await database.rows("SELECT name FROM silver.distributors ORDER BY name")
    assert names == [("Also Plain",), ("Plain Beans",)]
