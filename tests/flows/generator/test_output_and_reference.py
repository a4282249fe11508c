"""Where the files go: S3 (a real S3 API on loopback) like local disk; reference data from code."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from flows.generator import GenerateRequest, generate
from flows.generator.reference import (
    PACKAGED_REFERENCE_DIR,
    build_reference_data,
    load_reference_data,
    write_reference_data,
)
from shared.objectstore import ObjectStore
from tests.flows.generator.lake_files import AS_OF, lake_snapshot, settings_for


def test_s3_output_is_byte_identical_to_local_output(
    tmp_path: Path, s3_lake_url: str, s3_endpoint: str
) -> None:
    local = settings_for(tmp_path / "local")
    s3 = settings_for(
        tmp_path / "s3",
        object_store_url=s3_lake_url,
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id=SecretStr("testing"),
        s3_secret_access_key=SecretStr("testing"),
    )
    for settings in (local, s3):
        generate(settings, GenerateRequest(days=2, seed=21, as_of=AS_OF))
        generate(settings, GenerateRequest(orders=30, as_of=AS_OF.replace(minute=3)))

    expected = lake_snapshot(tmp_path / "local" / "lake")
    bucket = ObjectStore.from_settings(s3)
    keys = bucket.list("")
    assert keys == sorted(expected)
    assert all(bucket.read_bytes(key) == expected[key] for key in keys)
    assert any(key.startswith("landing/order_items/") for key in keys)
    assert not any("tmp" in key for key in keys), "no temporary object is left behind"


def test_shipped_reference_csvs_are_exactly_what_the_code_generates(tmp_path: Path) -> None:
    written = write_reference_data(tmp_path)

    assert {path.name for path in written} == {p.name for p in PACKAGED_REFERENCE_DIR.glob("*.csv")}
    for path in written:
        assert path.read_bytes() == (PACKAGED_REFERENCE_DIR / path.name).read_bytes(), path.name
    assert load_reference_data(tmp_path) == build_reference_data()


def test_reference_data_is_plausible() -> None:
    reference = build_reference_data()

    assert len(reference.products) > 40
    assert all(0 < p.cost < p.price for p in reference.products)
    assert all(0 <= p.sustainability_score <= 100 for p in reference.products)
    distributors = {d.distributor_id for d in reference.distributors}
    assert {s.distributor_id for s in reference.stockists} == distributors
    assert all(d.penalty_cap > d.penalty_per_late_day > 0 for d in reference.distributors)


def test_reference_data_that_cannot_drive_the_simulation_is_refused_with_reasons(
    tmp_path: Path,
) -> None:
    write_reference_data(tmp_path)
    stockists = (tmp_path / "stockists.csv").read_text().splitlines()
    kept = [line for line in stockists if ",apac," not in line]
    (tmp_path / "stockists.csv").write_text("\n".join(kept) + "\n")

    with pytest.raises(ValueError, match=r"stockists\.csv has no row for region apac"):
        load_reference_data(tmp_path)
