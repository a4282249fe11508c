"""Same seed and clock give the same bytes; state lives in the lake and survives a crash."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.generator import GenerateRequest, GeneratorStateError, generate
from flows.generator import batch as batch_module
from flows.generator.state import claim_key, state_key
from shared.objectstore import ObjectStore
from tests.flows.generator.lake_files import (
    AS_OF,
    generate_history_and_batches,
    lake_snapshot,
    landing_files,
    settings_for,
)


def test_same_seed_and_options_give_byte_identical_lakes(tmp_path: Path) -> None:
    for name in ("first", "second"):
        generate_history_and_batches(settings_for(tmp_path / name), days=5, clean=False)

    first = lake_snapshot(tmp_path / "first" / "lake")
    second = lake_snapshot(tmp_path / "second" / "lake")

    assert first == second
    assert sum(key.startswith("landing/orders/") for key in first) == 3
    assert any(key.endswith("faults.jsonl") and first[key] for key in first)


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    request = {"orders": 50, "as_of": AS_OF}
    [one] = generate(settings_for(tmp_path / "a"), GenerateRequest(seed=1, **request))  # type: ignore[arg-type]
    [two] = generate(settings_for(tmp_path / "b"), GenerateRequest(seed=2, **request))  # type: ignore[arg-type]

    orders = [ObjectStore((tmp_path / n / "lake").as_uri()) for n in ("a", "b")]
    first, second = (landing_files(store, "orders")[0].data for store in orders)
    assert one.plan.batch_id == two.plan.batch_id
    assert first != second


def test_later_batches_carry_status_changes_of_earlier_orders(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    generate(settings, GenerateRequest(days=3, seed=5, as_of=AS_OF, clean=True))
    later = AS_OF + timedelta(days=2)
    [second] = generate(settings, GenerateRequest(orders=10, as_of=later, clean=True))

    store = ObjectStore(settings.lake_url)
    first_orders, second_orders = landing_files(store, "orders")
    before = {row["order_id"]: row for row in first_orders.rows}
    carried = [row for row in second_orders.rows if row["order_id"] in before]
    assert second.new_orders == 10
    assert len(carried) > 20, "two days later many earlier orders have moved on"
    for row in carried:
        assert row["updated_at"] > before[row["order_id"]]["updated_at"]
        assert row["status"] != before[row["order_id"]]["status"]
    assert landing_files(store, "shipments")[1].rows, "shipments of earlier orders follow"


def test_a_batch_of_30_has_20_returning_and_10_new_customers(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    [history] = generate(settings, GenerateRequest(days=2, seed=5, as_of=AS_OF))
    [batch] = generate(settings, GenerateRequest(as_of=AS_OF + timedelta(minutes=3)))

    assert (history.new_orders, history.new_customers) == (500, 167)
    assert (batch.new_orders, batch.new_customers) == (30, 10)
    assert batch.customers == history.customers + 10


def test_a_second_machine_continues_from_the_state_in_the_lake(tmp_path: Path) -> None:
    lake = (tmp_path / "shared-lake").as_uri()
    here = settings_for(tmp_path / "here", object_store_url=lake)
    there = settings_for(tmp_path / "there", object_store_url=lake)
    generate(here, GenerateRequest(orders=40, seed=9, as_of=AS_OF))

    [result] = generate(there, GenerateRequest(orders=5, as_of=AS_OF + timedelta(minutes=3)))

    assert result.plan.batch_no == 2
    assert result.plan.seed == 9
    assert result.plan.window_start == int(AS_OF.timestamp())
    orders = landing_files(ObjectStore(lake), "orders")[1].rows
    assert min(int(r["order_id"][1:]) for r in orders if r["updated_at"] == r["order_date"]) == 41


def test_clock_must_move_forward_and_seed_must_match(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    generate(settings, GenerateRequest(orders=5, seed=3, as_of=AS_OF))

    with pytest.raises(GeneratorStateError, match="not after the previous batch"):
        generate(settings, GenerateRequest(as_of=AS_OF))
    with pytest.raises(GeneratorStateError, match="continues seed 3, not 4"):
        generate(settings, GenerateRequest(seed=4, as_of=AS_OF + timedelta(minutes=3)))


def test_an_interrupted_batch_is_finished_identically_before_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uninterrupted, crashed = settings_for(tmp_path / "a"), settings_for(tmp_path / "b")
    clocks = [AS_OF + timedelta(minutes=3 * n) for n in range(3)]
    for settings in (uninterrupted, crashed):
        generate(settings, GenerateRequest(days=2, seed=11, as_of=clocks[0]))
    generate(uninterrupted, GenerateRequest(as_of=clocks[1]))
    generate(uninterrupted, GenerateRequest(as_of=clocks[2]))

    def crash(*_: object) -> None:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(batch_module, "_inventory", crash)
        with pytest.raises(RuntimeError, match="power cut"):
            generate(crashed, GenerateRequest(as_of=clocks[1]))
    store = ObjectStore(crashed.lake_url)
    assert store.exists(claim_key(2))
    assert not store.exists(state_key(2))
    assert not any("000002-" in key for key in store.list("landing")), "no partial file is visible"

    redone, latest = generate(crashed, GenerateRequest(as_of=clocks[2]))

    assert redone.redone
    assert redone.plan.as_of == int(clocks[1].timestamp())
    assert latest.plan.batch_no == 3
    assert lake_snapshot(tmp_path / "a" / "lake") == lake_snapshot(tmp_path / "b" / "lake")


def test_reference_data_can_come_from_data_pipeline_source_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "source"
    shutil.copytree(Path(batch_module.__file__).parent / "reference_data", source)
    products = (source / "products.csv").read_text().replace("House Espresso Blend", "Demo Blend")
    (source / "products.csv").write_text(products)
    monkeypatch.setenv("DATA_PIPELINE_SOURCE_DIR", str(source))
    settings = settings_for(tmp_path)
    assert settings.source_dir == source

    generate(settings, GenerateRequest(orders=5, seed=1, as_of=datetime(2026, 1, 5, tzinfo=UTC)))

    names = {
        row["name"] for row in landing_files(ObjectStore(settings.lake_url), "products")[0].rows
    }
    assert "Demo Blend 250g" in names


def test_a_source_dir_without_the_reference_files_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECOM_SOURCE_DIR", str(tmp_path / "empty"))
    settings = settings_for(tmp_path)

    with pytest.raises(FileNotFoundError, match="ecom generate-reference --out DIR"):
        generate(settings, GenerateRequest(orders=5, seed=1, as_of=AS_OF))
