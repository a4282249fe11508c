"""The fault manifest matches the files exactly: each record is in its file, each oddity listed."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest

from flows.generator.batch import BatchResult
from flows.generator.entities import ENTITY_BY_NAME, EntitySpec
from flows.generator.faults import FILE_FAULTS, ROW_FAULTS, FaultKind
from flows.generator.regions import CURRENCIES
from shared.objectstore import ObjectStore
from tests.flows.generator.lake_files import (
    BOM,
    CsvFile,
    fault_records,
    generate_history_and_batches,
    read_csv,
    settings_for,
)

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
FORMULA_START = ("=", "+", "-", "@")
ALTERNATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%a, %d %b %Y %H:%M:%S GMT",
    "%Y/%m/%d %H:%M:%S UTC",
)
NOISY_RATES = {
    **{kind.value: 0.01 for kind in ROW_FAULTS},
    FaultKind.ORPHAN_PARENT.value: 0.1,
    FaultKind.SCHEMA_DRIFT.value: 1.0,
    FaultKind.REORDERED_COLUMNS.value: 0.4,
    FaultKind.UTF8_BOM.value: 0.4,
    FaultKind.DUPLICATE_FILE.value: 0.4,
}


def parse_any_timestamp(text: str) -> datetime:
    """The instant an alternate timestamp format denotes (they all carry a zone)."""
    for pattern in ALTERNATE_FORMATS:
        try:
            parsed = datetime.strptime(
                text.replace("+00", "+0000") if text.endswith("+00") else text, pattern
            )
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.fromisoformat(text)


def iso_instant(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def oddities(
    spec: EntitySpec, row: dict[str, str], previous: dict[str, str] | None
) -> set[FaultKind]:
    """What looks wrong with a row, by the fault kinds that would explain it."""
    found: set[FaultKind] = set()
    if previous is not None and row == previous:
        found.add(FaultKind.DUPLICATE_ROW)
    elif previous is not None and all(row[k] == previous[k] for k in spec.key):
        delta = (
            iso_instant(row["updated_at"]) - iso_instant(previous["updated_at"])
        ).total_seconds()
        if delta == 1:
            found.add(FaultKind.NEWER_UPDATE)
        elif delta < 0:
            found.add(FaultKind.STALE_UPDATE)
    if any(row[column] == "" for column in spec.required):
        found.add(FaultKind.MISSING_REQUIRED)
    if any(row[c] and not DECIMAL.match(row[c]) for c in spec.numbers):
        found.add(FaultKind.MALFORMED_NUMBER)
    for column in spec.timestamps:
        value = row[column]
        if not value:
            continue
        try:
            if ISO_UTC.match(value):
                iso_instant(value)
            else:
                parse_any_timestamp(value)
                found.add(FaultKind.MIXED_TIMESTAMP_FORMAT)
        except ValueError:
            found.add(FaultKind.MALFORMED_TIMESTAMP)
    if spec.currency and row[spec.currency] and row[spec.currency] not in CURRENCIES:
        found.add(FaultKind.UNKNOWN_CURRENCY)
    for column in spec.text:
        if row[column].startswith(FORMULA_START):
            found.add(FaultKind.FORMULA_TEXT)
        if "\n" in row[column]:
            found.add(FaultKind.QUOTED_COMMA_NEWLINE)
    if "first_name" in row and not (row["first_name"] + row["last_name"]).isascii():
        found.add(FaultKind.NON_ASCII_TEXT)
    return found


def record_holds(record: dict[str, Any], file: CsvFile) -> bool:
    """Whether the file shows exactly what the record says."""
    kind = FaultKind(record["kind"])
    if kind in FILE_FAULTS:
        return True  # checked per file
    row = file.records[record["line"]]
    column: str = record.get("column", "")
    detail: str = record.get("detail", "")
    if kind in (
        FaultKind.MALFORMED_NUMBER,
        FaultKind.MALFORMED_TIMESTAMP,
        FaultKind.UNKNOWN_CURRENCY,
    ):
        return row[column] == detail
    if kind in (FaultKind.FORMULA_TEXT, FaultKind.QUOTED_COMMA_NEWLINE):
        return row[column] == detail
    if kind is FaultKind.NON_ASCII_TEXT:
        return f"{row['first_name']} {row['last_name']}" == detail
    if kind is FaultKind.MIXED_TIMESTAMP_FORMAT:
        written, _, original = detail.partition(" is ")
        return row[column] == written and parse_any_timestamp(written) == iso_instant(original)
    if kind is FaultKind.MISSING_REQUIRED:
        return row[column] == ""
    if kind in (FaultKind.NEWER_UPDATE, FaultKind.STALE_UPDATE):
        return detail == f"updated_at {row['updated_at']}"
    return True  # duplicates are checked by `oddities`; orphans across batches


@pytest.fixture(scope="module")
def noisy_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[ObjectStore, list[BatchResult]]:
    settings = settings_for(tmp_path_factory.mktemp("noisy"), fault_rates=NOISY_RATES)
    results = generate_history_and_batches(settings, days=14, batches=2, clean=False)
    return ObjectStore(settings.lake_url), results


def test_every_fault_kind_is_injected(noisy_lake: tuple[ObjectStore, list[BatchResult]]) -> None:
    store, results = noisy_lake
    kinds = {record["kind"] for result in results for record in fault_records(store, result)}
    assert kinds == {kind.value for kind in FaultKind}


def test_manifest_matches_the_files_exactly(
    noisy_lake: tuple[ObjectStore, list[BatchResult]],
) -> None:
    store, results = noisy_lake
    for result in results:
        records = fault_records(store, result)
        by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            by_file[record["file"]].append(record)
        keys = [key for key in store.list("landing") if f"_{result.plan.batch_id}" in key]
        assert set(by_file) <= set(keys), "every record names a file of the batch"
        for key in keys:
            file = read_csv(store, key)
            spec = ENTITY_BY_NAME[key.split("/")[1]]
            file_kinds = {r["kind"] for r in by_file[key] if FaultKind(r["kind"]) in FILE_FAULTS}
            if key.endswith("_resent.csv"):
                assert file_kinds == {FaultKind.DUPLICATE_FILE}, "a byte copy of the original"
                assert file.data == store.read_bytes(key.replace("_resent.csv", ".csv"))
                continue
            assert (FaultKind.UTF8_BOM in file_kinds) == file.data.startswith(BOM), key
            drift = spec.drift_column is not None and spec.drift_column in file.header
            assert (FaultKind.SCHEMA_DRIFT in file_kinds) == drift, key
            plain_header = [c for c in file.header if c != spec.drift_column]
            assert sorted(plain_header) == sorted(spec.columns), key
            reordered = file.header != [*spec.columns, spec.drift_column][: len(file.header)]
            assert (FaultKind.REORDERED_COLUMNS in file_kinds) == reordered, key
            recorded = {
                (r["line"], r["kind"])
                for r in by_file[key]
                if r.get("line") and r["kind"] != "orphan_parent"
            }
            found: set[tuple[int, str]] = set()
            previous = None
            for line in sorted(file.records):
                row = file.records[line]
                found |= {(line, kind.value) for kind in oddities(spec, row, previous)}
                previous = row
            assert found == recorded, (
                f"{key}: unrecorded {found - recorded}, not found {recorded - found}"
            )
            for record in by_file[key]:
                assert record_holds(record, file), record


def test_orphan_orders_arrive_before_their_customer(
    noisy_lake: tuple[ObjectStore, list[BatchResult]],
) -> None:
    store, results = noisy_lake
    seen: set[str] = set()
    batch_customers = []
    for result in results:
        keys = [f.key for f in result.files if f.entity == "customers"]
        ids = {r["customer_id"] for r in read_csv(store, keys[0]).rows} if keys else set()
        batch_customers.append(ids)
    orphans = 0
    for index, result in enumerate(results):
        seen |= batch_customers[index]
        for record in fault_records(store, result):
            if record["kind"] != "orphan_parent":
                continue
            orders = read_csv(store, record["file"])
            customer = orders.records[record["line"]]["customer_id"]
            assert record["expected"] == "inferred_parent"
            assert customer not in seen, "the order arrives before its customer"
            if index + 1 < len(results):
                assert customer in batch_customers[index + 1], (
                    "the customer follows one batch later"
                )
            orphans += 1
    assert orphans > 5


def test_expected_outcomes_name_the_rule_for_rejects(
    noisy_lake: tuple[ObjectStore, list[BatchResult]],
) -> None:
    store, results = noisy_lake
    rules = {
        "missing_required": "MISSING_REQUIRED",
        "malformed_number": "BAD_NUMBER",
        "malformed_timestamp": "BAD_TIMESTAMP",
        "unknown_currency": "UNKNOWN_CURRENCY",
    }
    for result in results:
        for record in fault_records(store, result):
            if record["kind"] in rules:
                assert (record["expected"], record["rule"]) == ("rejected", rules[record["kind"]])
            else:
                assert record["expected"] != "rejected"
                assert "rule" not in record
