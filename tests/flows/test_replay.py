"""A replay that cannot load a bronze file leaves silver exactly as it was, names the file and
quarantines it, so the next replay goes on without it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from flows.pipeline import run_data_pipeline
from flows.replay import ReplayRolledBackError, replay_silver
from flows.settings import DriftPolicy, FlowSettings
from shared.objectstore import ObjectStore
from tests.conftest import TestDatabase
from tests.flows.bad_files import GOOD_FILES, REFUSES_DRIFT
from tests.flows.silver_state import checksums

DRIFTED_BADGES = (
    b"csr_id,csr_name,team,badge,awarded_on,criteria,updated_at,mood\n"
    b"CSR-1,Ann,care,gold,2026-11-16,,2026-11-16T00:00:00Z,sunny\n"
)


def refuse_drift(settings: FlowSettings, _lake: ObjectStore, _path: str) -> FlowSettings:
    """A rule change: the badges' drift, appended until now, is refused from now on."""
    return settings.model_copy(update={"schema_drift_policy": {REFUSES_DRIFT: DriftPolicy.FAIL}})


def lose_the_object(settings: FlowSettings, lake: ObjectStore, path: str) -> FlowSettings:
    """The bronze object is gone (deleted by hand, a broken bucket)."""
    lake.delete(path)
    return settings


@pytest.mark.parametrize("poison", [refuse_drift, lose_the_object], ids=lambda f: f.__name__)
@pytest.mark.parametrize("from_date", [None, datetime.now(UTC).date()], ids=["full", "range"])
async def test_a_replay_with_a_poison_file_leaves_silver_unchanged_and_quarantines_it(
    poison: Callable[[FlowSettings, ObjectStore, str], FlowSettings],
    from_date: date | None,
    flow_settings: FlowSettings,
    lake: ObjectStore,
    database: TestDatabase,
) -> None:
    for key, content in GOOD_FILES.items():
        lake.write_atomic(key, content)
    lake.write_atomic(f"landing/{REFUSES_DRIFT}/drifted.csv", DRIFTED_BADGES)
    await run_data_pipeline(flow_settings)
    before = await checksums(database)
    assert before["csr_badges"] != "empty"
    [(file_id, path, loaded_at)] = await database.rows(
        "SELECT bronze_file_id, bronze_path, loaded_at FROM ops.bronze_files WHERE entity = $1",
        REFUSES_DRIFT,
    )
    settings = poison(flow_settings, lake, str(path))

    with pytest.raises(ReplayRolledBackError) as raised:
        await replay_silver(settings, from_date=from_date, to_date=from_date)

    assert "silver is unchanged" in str(raised.value)
    assert str(path) in str(raised.value), "the failing file is named"
    assert await checksums(database) == before
    assert await database.rows(
        "SELECT loaded_at FROM ops.bronze_files WHERE bronze_file_id = $1", file_id
    ) == [(loaded_at,)]
    [(quarantine_id, stage, status)] = await database.rows(
        "SELECT quarantine_id, stage, status FROM ops.quarantined_files WHERE bronze_file_id = $1",
        file_id,
    )
    assert (stage, status) == ("replay", "quarantined")
    assert f"ecom pipeline quarantine retry {quarantine_id}" in str(raised.value)
    [(run_status, message, quarantined)] = await database.rows(
        "SELECT status, message, files_quarantined FROM ops.pipeline_runs WHERE kind = 'replay'"
    )
    assert (run_status, quarantined) == ("failed", 1)
    assert str(path) in str(message)

    again = await replay_silver(settings, from_date=from_date, to_date=from_date)

    assert again.quarantined == []
    assert {file.bronze_file_id for file in again.loaded} == set(range(1, 4)) - {file_id}
    after = await checksums(database)
    assert {name for name in before if after[name] != before[name]} <= {"csr_badges"}
