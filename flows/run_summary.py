"""What one pipeline run did: the files it landed, loaded and quarantined, the marts it built,
as one log line, a Markdown table for the Prefect UI, and the datasets for its lineage."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flows.back_office import BackOfficeSync
from flows.bronze import LandedFile
from flows.gold import MartBuild
from flows.gold.marts import MART_BY_TABLE
from flows.outbox import CHANGE_OUTBOX
from flows.quarantine import NEXT_STEP, QuarantinedFile, quarantine_summary
from flows.silver import FileOutcome
from flows.silver.outbox_statements import OUTBOX_TARGETS


@dataclass
class PipelineSummary:
    """What one pipeline run did."""

    run_id: uuid.UUID
    skipped: bool = False
    landed: list[LandedFile] = field(default_factory=list)
    loaded: list[FileOutcome] = field(default_factory=list)
    marts: list[MartBuild] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what hooks after the marts did
    quarantined: list[QuarantinedFile] = field(default_factory=list)
    back_office: BackOfficeSync | None = None  # what the run copied into the admin tables

    def total(self, outcome: str) -> int:
        """Sum of one outcome (rows_read, inserted, updated, ...) over the loaded files."""
        return sum(int(getattr(file, outcome)) for file in self.loaded)

    @property
    def reject_rate(self) -> float:
        """Share of the rows read that were rejected."""
        read = self.total("rows_read")
        return self.total("rejected") / read if read else 0.0

    def describe(self) -> str:
        """One line for logs and the CLI."""
        if self.skipped:
            return "skipped: another pipeline run holds the lock"
        return (
            f"landed {sum(f.newly_landed for f in self.landed)} file(s), loaded "
            f"{len(self.loaded)}: read {self.total('rows_read')}, inserted "
            f"{self.total('inserted')}, updated {self.total('updated')}, unchanged "
            f"{self.total('unchanged')}, stale {self.total('stale')}, rejected "
            f"{self.total('rejected')} ({self.reject_rate:.1%}), parents inferred "
            f"{self.total('parents_inferred')}; gold "
            + ("; ".join(m.describe() for m in self.marts) or "not built")
            + (f"; {self.back_office.describe()}" if self.back_office else "")
            + "".join(f"; {note}" for note in self.notes)
            + (f"; anomalies: {'; '.join(self.anomalies)}" if self.anomalies else "")
            + (f"; {quarantine_summary(self.quarantined)}" if self.quarantined else "")
        )

    def as_markdown(self) -> str:
        """The run as a Markdown table per file, for the Prefect UI."""
        lines = [
            f"**{self.describe()}**",
            "",
            "| entity | bronze file | read | inserted | updated | unchanged | stale | rejected |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {f.entity} | {f.bronze_file_id} | {f.rows_read} | {f.inserted} | {f.updated} "
            f"| {f.unchanged} | {f.stale} | {f.rejected} |"
            for f in self.loaded
        ]
        if self.quarantined:
            lines += [
                "",
                f"**{len(self.quarantined)} file(s) quarantined**, not loaded; next: {NEXT_STEP}",
                "",
                "| id | stage | entity | file | rows | error | reason |",
                "|---:|---|---|---|---:|---|---|",
            ]
            lines += [
                f"| {q.quarantine_id} | {q.stage} | {q.entity} | {_cell(q.source_key)} | {q.rows} "
                f"| {q.error_class} | {_cell(q.reason)} |"
                for q in self.quarantined
            ]
        return "\n".join(lines)

    def lineage(self) -> tuple[list[str], list[str]]:
        """The datasets this run read and wrote, for its OpenLineage events."""
        inputs: list[str] = []
        outputs: list[str] = []
        for landed in self.landed:
            source = "admin.change_outbox" if landed.entity == CHANGE_OUTBOX else None
            inputs.append(source or f"landing/{landed.entity}")
            outputs.append(f"bronze/{landed.entity}")
        for loaded in self.loaded:
            inputs.append(f"bronze/{loaded.entity}")
            if loaded.entity == CHANGE_OUTBOX:
                outputs += [table.qualified for table in OUTBOX_TARGETS.values()]
            else:
                outputs.append(f"silver.{loaded.entity}")
            if loaded.rejected:
                outputs.append("silver.rejects")
        for build in self.marts:
            if build.mode != "skipped":
                inputs += MART_BY_TABLE[build.mart].reads
                outputs.append(build.mart)
        return inputs, outputs

    @property
    def anomalies(self) -> list[str]:
        """Things worth a look even though the run balanced: drift, inferred parents, orphans."""
        flags = [
            f"{file.entity} file {file.bronze_file_id} schema drift ({', '.join(file.drift)})"
            for file in self.loaded
            if file.drift
        ]
        if inferred := self.total("parents_inferred"):
            flags.append(f"{inferred} parent row(s) inferred before their own row arrived")
        if orphans := self.total("orphans"):
            flags.append(f"{orphans} orphan row(s) loaded before their order arrived")
        if self.back_office and self.back_office.skipped:
            flags.append(
                f"{self.back_office.skipped} silver row(s) the back office refused: "
                + ", ".join(self.back_office.skipped_keys[:10])
            )
        return flags


def _cell(text: str) -> str:
    """`text` safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")
