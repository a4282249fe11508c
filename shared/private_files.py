"""Files only their owner may read: local secrets, created once, shared by every local process.

Creation is exclusive (a complete file under a unique temporary name, then `os.link`, which fails
if the target exists), so two processes starting at once agree on one set of values. Additions
take an exclusive lock on a side file and replace the file atomically.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) private to the owner; leave existing folders alone."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
    return path


def _write_new(path: Path, data: bytes) -> Path:
    """A complete private file next to `path` under a name no other writer uses."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def create_exclusive(path: Path, data: bytes) -> bool:
    """Write `path` (mode 0600) unless it exists; True when this call created it."""
    tmp = _write_new(path, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def read_json(path: Path) -> dict[str, str]:
    """The JSON object stored at `path` (empty if there is no file)."""
    try:
        loaded = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return dict(loaded)


def json_value(path: Path, name: str, make: Callable[[], str]) -> str:
    """`name` from the JSON object at `path`, adding `make()` under it (atomically) if absent."""
    private_dir(path.parent)
    stored = read_json(path)
    if name in stored:
        return stored[name]
    if create_exclusive(path, json.dumps({name: make()}).encode()):
        return read_json(path)[name]
    lock_path = path.with_name(f".{path.name}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        stored = read_json(path)  # as it is now that nobody else changes it
        if name not in stored:
            stored[name] = make()
            tmp = _write_new(path, json.dumps(stored).encode())
            os.replace(tmp, path)
        return stored[name]
    finally:
        os.close(fd)  # releases the lock
