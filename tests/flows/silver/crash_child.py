"""Run the data pipeline in this process and SIGKILL it when it reaches one named point.

`python -m tests.flows.silver.crash_child POINT NTH` runs `run_data_pipeline` with the settings
its ECOM_ environment describes. The NTH time (from 1) the pipeline reaches POINT, the process
prints `killed at POINT #NTH` and sends itself SIGKILL: no `finally`, no rollback, no closed
connection, as when a host dies. POINT `none` runs the pipeline to its end. The points are
reached by wrapping the functions that do each step; the production code has no test hooks.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Iterator
from enum import StrEnum
from typing import IO, Any
from uuid import UUID

import asyncpg
import pytest

from flows.pipeline import run_data_pipeline
from flows.settings import FlowSettings
from flows.silver import FileOutcome, load, statements
from flows.silver.tables import SilverTable
from shared.objectstore import ObjectStore

COPY_BYTES_BEFORE_KILL = 256


class CrashPoint(StrEnum):
    """Where the pipeline dies."""

    NONE = "none"
    BRONZE_OBJECT_WRITTEN = "bronze_object_written"  # its manifest row not yet committed
    MANIFEST_COMMITTED = "manifest_committed"  # the landing file not yet deleted
    MID_COPY = "mid_copy"  # the first bytes of the file sent to COPY, the rest not
    CLASSIFIED = "classified"  # rows checked, rejects recorded, outcomes classified; none applied
    MID_APPLY = "mid_apply"  # the first statement writing silver ran, the others not
    LEDGER_WRITTEN = "ledger_written"  # the ledger row inserted, the transaction not committed


class Tripwire:
    """Counts arrivals at the crash point; the NTH arrival kills the process."""

    def __init__(self, point: CrashPoint, nth: int) -> None:
        self.point = point
        self.nth = nth
        self.arrivals = 0

    def arrive(self) -> bool:
        """Count one arrival; True when this is the fatal one."""
        self.arrivals += 1
        return self.arrivals == self.nth

    def kill(self, detail: str = "") -> None:
        """Die now, saying where."""
        print(f"killed at {self.point} #{self.nth}{detail}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    def pass_by(self) -> None:
        """Arrive, and die if this is the fatal arrival."""
        if self.arrive():
            self.kill()


class StreamDyingMidway:
    """A binary stream that hands out `limit` bytes in small reads, then kills the process."""

    def __init__(self, inner: IO[bytes], tripwire: Tripwire, limit: int) -> None:
        self.inner = inner
        self.tripwire = tripwire
        self.limit = limit
        self.sent = 0

    def read(self, size: int = -1) -> bytes:
        """At most 64 bytes at a time; the read after `limit` bytes went out never returns."""
        if self.sent >= self.limit:
            self.tripwire.kill(f" after {self.sent} bytes")
        chunk = self.inner.read(min(64, self.limit - self.sent))
        self.sent += len(chunk)
        return chunk


def arm(patch: pytest.MonkeyPatch, point: CrashPoint, tripwire: Tripwire) -> None:
    """Wrap the function that marks `point` so that it trips the wire there."""
    match point:
        case CrashPoint.NONE:
            return
        case CrashPoint.BRONZE_OBJECT_WRITTEN:
            create_new = ObjectStore.create_new

            def create_new_then_die(store: ObjectStore, key: str, data: bytes) -> bool:
                created = create_new(store, key, data)
                tripwire.pass_by()
                return created

            patch.setattr(ObjectStore, "create_new", create_new_then_die)
        case CrashPoint.MANIFEST_COMMITTED:
            delete = ObjectStore.delete

            def die_before_deleting_landing_file(store: ObjectStore, key: str) -> None:
                if key.startswith("landing/"):
                    tripwire.pass_by()
                delete(store, key)

            patch.setattr(ObjectStore, "delete", die_before_deleting_landing_file)
        case CrashPoint.MID_COPY:
            copy_to_table = asyncpg.Connection.copy_to_table

            async def copy_dying_midway(
                connection: asyncpg.Connection, table_name: str, *, source: Any, **options: Any
            ) -> str:
                if tripwire.arrive():
                    source = StreamDyingMidway(source, tripwire, COPY_BYTES_BEFORE_KILL)
                status: str = await copy_to_table(connection, table_name, source=source, **options)
                return status

            patch.setattr(asyncpg.Connection, "copy_to_table", copy_dying_midway)
        case CrashPoint.CLASSIFIED:
            apply_changes = statements.apply_changes

            def die_before_applying(table: SilverTable) -> list[tuple[str, bool]]:
                tripwire.pass_by()
                return apply_changes(table)

            patch.setattr(statements, "apply_changes", die_before_applying)
        case CrashPoint.MID_APPLY:
            apply_changes = statements.apply_changes

            def die_after_first_apply(table: SilverTable) -> Iterator[tuple[str, bool]]:
                fatal = tripwire.arrive()
                first, *rest = apply_changes(table)
                yield first  # the caller executes it before asking for the next one
                if fatal:
                    tripwire.kill(f" after 1 of {1 + len(rest)} apply statement(s)")
                yield from rest

            patch.setattr(statements, "apply_changes", die_after_first_apply)
        case CrashPoint.LEDGER_WRITTEN:
            write_ledger = load.write_ledger

            async def write_ledger_then_die(
                connection: asyncpg.Connection, outcome: FileOutcome, run_id: UUID, replayed: bool
            ) -> None:
                await write_ledger(connection, outcome, run_id, replayed)
                tripwire.pass_by()

            patch.setattr(load, "write_ledger", write_ledger_then_die)


def main(point: CrashPoint, nth: int) -> None:
    """Run the pipeline once, armed to die at the NTH arrival at `point`."""
    settings = FlowSettings(_env_file=None)
    with pytest.MonkeyPatch.context() as patch:
        arm(patch, point, Tripwire(point, nth))
        summary = asyncio.run(run_data_pipeline(settings))
    print(summary.describe(), flush=True)


if __name__ == "__main__":
    main(CrashPoint(sys.argv[1]), int(sys.argv[2]))
