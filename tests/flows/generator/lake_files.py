"""Reading what the generator wrote: CSV records with their record numbers, and the manifests."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flows.generator import GenerateRequest, generate
from flows.generator.batch import BatchResult
from flows.generator.settings import GeneratorSettings
from shared.objectstore import ObjectStore

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class CsvFile:
    """One landing file: raw bytes, header and records keyed by CSV record number."""

    key: str
    data: bytes
    header: list[str]
    records: dict[int, dict[str, str]]

    @property
    def rows(self) -> list[dict[str, str]]:
        """Records in file order."""
        return [self.records[line] for line in sorted(self.records)]


def read_csv(store: ObjectStore, key: str) -> CsvFile:
    """Parse a landing file; record 1 is the header, data records start at 2."""
    data = store.read_bytes(key)
    reader = csv.reader(io.StringIO(data.removeprefix(BOM).decode("utf-8"), newline=""))
    header = next(reader)
    records = {line: dict(zip(header, row, strict=True)) for line, row in enumerate(reader, 2)}
    return CsvFile(key, data, header, records)


def landing_files(store: ObjectStore, entity: str) -> list[CsvFile]:
    """Every landing file of `entity`, in batch order."""
    return [read_csv(store, key) for key in store.list(f"landing/{entity}")]


def fault_records(store: ObjectStore, result: BatchResult) -> list[dict[str, Any]]:
    """The fault manifest of one batch."""
    summary = json.loads(store.read_bytes(result.summary_key))
    text = store.read_bytes(summary["faults_manifest"]).decode()
    return [json.loads(line) for line in text.splitlines()]


def settings_for(tmp_path: Path, **overrides: Any) -> GeneratorSettings:
    """Generator settings with a lake under tmp_path and no environment."""
    values: dict[str, Any] = {"object_store_url": (tmp_path / "lake").as_uri(), **overrides}
    return GeneratorSettings(_env_file=None, data_dir=tmp_path, **values)


def lake_snapshot(root: Path) -> dict[str, bytes]:
    """Every object below a local lake root, by relative path."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def generate_history_and_batches(
    settings: GeneratorSettings, *, days: float = 21, batches: int = 2, clean: bool = True
) -> list[BatchResult]:
    """A backfill ending at AS_OF, then `batches` three-minute batches after it."""
    results = generate(settings, GenerateRequest(days=days, seed=42, as_of=AS_OF, clean=clean))
    for number in range(1, batches + 1):
        as_of = datetime.fromtimestamp(AS_OF.timestamp() + 180 * number, UTC)
        results += generate(settings, GenerateRequest(as_of=as_of, clean=clean))
    return results
