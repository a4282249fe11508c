"""Component logs of `ecom up`: bounded in size, private to their owner, JSON when asked.

A reader thread per child copies the child's output line by line into `<name>.log`, which is
rotated to `<name>.log.1` ... `<name>.log.N` once it passes `max_bytes` (N = `backups`; 0 keeps
no copy and starts the file again). Files are created 0600. With `ECOM_LOG_FORMAT=json` a line
that is not a JSON object already (a library printing to stderr, a traceback) is wrapped as one,
so every line of every log parses.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

FILE_MODE = 0o600


class BoundedLog:
    """An append-only log file with size-based rotation; safe to write from one thread."""

    def __init__(
        self, path: Path, *, max_bytes: int, backups: int, json_lines: bool, logger: str
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.json_lines = json_lines
        self.logger = logger
        self._lock = threading.Lock()
        self._handle = self._open()

    def _open(self) -> IO[bytes]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        os.fchmod(fd, FILE_MODE)  # an older log may have been created more open
        return os.fdopen(fd, "ab")

    def _rotate(self) -> None:
        self._handle.close()
        if self.backups > 0:
            for index in range(self.backups - 1, 0, -1):
                older = self.path.with_name(f"{self.path.name}.{index}")
                if older.exists():
                    older.replace(self.path.with_name(f"{self.path.name}.{index + 1}"))
            self.path.replace(self.path.with_name(f"{self.path.name}.1"))
        else:
            self.path.unlink(missing_ok=True)
        self._handle = self._open()

    def _shaped(self, line: bytes) -> bytes:
        text = line.rstrip(b"\r\n")
        if not self.json_lines:
            return text + b"\n"
        stripped = text.strip()
        if stripped.startswith(b"{"):
            try:
                if isinstance(json.loads(stripped), dict):
                    return stripped + b"\n"
            except ValueError:
                pass
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": self.logger,
            "message": text.decode("utf-8", "replace"),
            "raw": True,  # printed by the process, not by a JSON-configured logger
        }
        return json.dumps(entry, ensure_ascii=False).encode() + b"\n"

    def write_line(self, line: bytes) -> None:
        """Append one line (shaped for the format), rotating first when the file is full."""
        data = self._shaped(line)
        with self._lock:
            if self._handle.closed:  # a reader thread finishing after `ecom up` closed it
                return
            if self._handle.tell() + len(data) > self.max_bytes and self._handle.tell() > 0:
                self._rotate()
            self._handle.write(data)
            self._handle.flush()

    def note(self, message: str) -> None:
        """A line from `ecom up` itself about this component (restarts, say)."""
        if self.json_lines:
            entry = {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "level": "WARNING",
                "logger": "ecom.up",
                "message": message,
            }
            self.write_line(json.dumps(entry).encode())
        else:
            self.write_line(f"[ecom up] {message}".encode())

    def copy_from(self, stream: IO[bytes]) -> threading.Thread:
        """Start a daemon thread copying `stream` (a child's stdout) until it closes."""

        def pump() -> None:
            with stream:
                for line in iter(stream.readline, b""):
                    self.write_line(line)

        thread = threading.Thread(target=pump, name=f"log-{self.logger}", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if not self._handle.closed:
                self._handle.close()
