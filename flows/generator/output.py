"""Writing a batch: one CSV per entity streamed to `landing/<entity>/`, faults and all.

Each file is written through the object store's atomic writer, so readers see a whole file or
none. The fault manifest is streamed beside it and published last, with the batch summary.
"""

from __future__ import annotations

import csv
import io
import json
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from typing import IO, Any

from flows.generator.customers import mix
from flows.generator.entities import ENTITIES, EntitySpec
from flows.generator.faults import FaultInjector, FaultKind, FaultRecord, Outcome
from flows.generator.randomness import SimRandom

BOM = b"\xef\xbb\xbf"


@dataclass
class FileSummary:
    """What one written file holds."""

    entity: str
    key: str
    records: int = 0


class EntityFile:
    """One entity's CSV of the batch, opened on its first row."""

    def __init__(self, output: BatchOutput, spec: EntitySpec, key: str) -> None:
        self.output = output
        self.spec = spec
        self.summary = FileSummary(spec.name, key)
        self._writer: Any = None
        self._text: io.TextIOWrapper | None = None
        self._line = 2  # CSV record number of the next row; the header is record 1
        index = [entity.name for entity in ENTITIES].index(spec.name)
        self.faults: FaultInjector | None = None
        self.duplicate_key: str | None = None  # set when a duplicate-file fault is chosen
        if output.fault_rates:
            self.faults = FaultInjector(
                spec,
                key,
                output.fault_rates,
                SimRandom(mix(output.seed, 9, output.batch_no, index)),
                output.record_fault,
            )

    def _open(self) -> None:
        handle: IO[bytes] = self.output.stack.enter_context(
            self.output.store.atomic_writer(self.summary.key)
        )
        file_faults = self.faults.choose_file_faults() if self.faults else None
        if file_faults and file_faults.bom:
            handle.write(BOM)
        self._text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=False)
        self._drift = bool(file_faults and file_faults.drift)
        self._width = len(self.spec.columns) + (1 if self._drift else 0)
        self._order = file_faults.column_order if file_faults else None
        if file_faults and file_faults.duplicate:
            original = self.summary.key
            self.duplicate_key = original.removesuffix(".csv") + "_resent.csv"
            self.output.record_fault(
                FaultRecord(
                    self.spec.name,
                    self.duplicate_key,
                    None,
                    FaultKind.DUPLICATE_FILE,
                    Outcome.FILE_DEDUPLICATED,
                    {},
                    detail=f"same bytes as {original}",
                )
            )
        self._writer = csv.writer(self._text, lineterminator="\n")
        header = list(self.spec.columns)
        if self._drift:
            assert self.spec.drift_column is not None
            header.append(self.spec.drift_column)
        self._write(header)

    def _write(self, row: list[str]) -> None:
        if self._order is not None:
            row = [row[i] for i in self._order]
        self._writer.writerow(row)

    def write(self, row: list[str], *, faults: bool = True) -> int:
        """Write one generated row (row faults may change, repeat or keep it); returns its line."""
        if self._writer is None:
            self._open()
        line = self._line
        if len(row) != self._width:
            row = row[: self._width]
        if self.faults is None or not faults:
            self._write(row)
            self._line += 1
            return line
        for written, record in self.faults.apply(row, self._line):
            self._write(written)
            if record is not None:
                self.output.record_fault(record)
            self._line += 1
        return line

    def close(self) -> None:
        """Flush the CSV; the atomic writer publishes it when the batch's stack closes."""
        if self._text is not None:
            self._text.flush()
            self._text.detach()
            self.summary.records = self._line - 2


@dataclass
class BatchOutput(AbstractContextManager["BatchOutput"]):
    """All files of one batch, plus its fault manifest."""

    store: Any
    seed: int
    batch_no: int
    batch_id: str
    fault_rates: dict[FaultKind, float]
    stack: ExitStack = field(default_factory=ExitStack)
    files: dict[str, EntityFile] = field(default_factory=dict)
    fault_counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._manifest: IO[bytes] | None = None

    @property
    def faults_key(self) -> str:
        """Where the fault manifest (JSON lines) goes."""
        return f"manifests/{self.batch_id}/faults.jsonl"

    @property
    def summary_key(self) -> str:
        """Where the batch summary goes; written last, so it marks a complete batch."""
        return f"manifests/{self.batch_id}/batch.json"

    def __enter__(self) -> BatchOutput:
        self.stack.__enter__()
        self._manifest = self.stack.enter_context(self.store.atomic_writer(self.faults_key))
        return self

    def __exit__(self, *exc_info: Any) -> bool | None:
        return self.stack.__exit__(*exc_info)

    def record_fault(self, record: FaultRecord) -> None:
        """Append one fault to the manifest."""
        assert self._manifest is not None
        line = json.dumps(record.as_json(), ensure_ascii=False, sort_keys=True)
        self._manifest.write(line.encode() + b"\n")
        self.fault_counts[record.kind.value] = self.fault_counts.get(record.kind.value, 0) + 1

    def file(self, spec: EntitySpec) -> EntityFile:
        """The batch's file for `spec`."""
        if spec.name not in self.files:
            key = f"landing/{spec.name}/{spec.name}_{self.batch_id}.csv"
            self.files[spec.name] = EntityFile(self, spec, key)
        return self.files[spec.name]

    def write(self, spec: EntitySpec, row: list[str], *, faults: bool = True) -> int:
        """Write one row of `spec`; returns its CSV record number."""
        return self.file(spec).write(row, faults=faults)

    def finish(self) -> list[FileSummary]:
        """Close and publish every file (and the copies a duplicate-file fault asked for)."""
        summaries = []
        for entity_file in self.files.values():
            entity_file.close()
            summaries.append(entity_file.summary)
        self.stack.close()  # publishes every file and the fault manifest
        for entity_file in self.files.values():
            if entity_file.duplicate_key is not None:
                self.store.copy(entity_file.summary.key, entity_file.duplicate_key)
        return summaries
