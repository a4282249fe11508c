"""API keys: random secrets kept only as hashes, each granting one role.

A key is `ecom_<id>_<secret>` with 256 random bits in the secret, so an unsalted SHA-256 is
enough to store it: nobody can guess a preimage, and a slow password hash would only cost the
gateway milliseconds per request. The id (also in the key) names it in listings and logs.

The keys live in one JSON file (mode 0600) that `ecom apikey` rewrites atomically under a lock
and the gateway re-reads whenever the file changes, so a revocation holds from the next request
without a restart. A file rather than a table because the gateway has no database connection or
role of its own; it needs only a volume shared with wherever `ecom apikey` runs.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.identity import Principal, Role

logger = logging.getLogger(__name__)

KEY_PREFIX = "ecom_"
FILE_VERSION = 1


class ApiKeyError(ValueError):
    """An API key operation cannot be done; the message says why."""


class ApiKeyRecord(BaseModel):
    """One stored key: never the key itself, only its hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str | None = None
    role: Role
    sub: str
    sha256: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether the key is still accepted."""
        return self.revoked_at is None

    def principal(self) -> Principal:
        """The caller this key authenticates as."""
        return Principal(sub=self.sub, role=self.role)


class ApiKeyFileContent(BaseModel):
    """The file's layout."""

    model_config = ConfigDict(extra="forbid")

    version: int = FILE_VERSION
    keys: list[ApiKeyRecord] = []


def key_hash(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def _read(path: Path) -> ApiKeyFileContent:
    if not path.exists():
        return ApiKeyFileContent()
    return ApiKeyFileContent.model_validate_json(path.read_bytes())


def _write(path: Path, content: ApiKeyFileContent) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content.model_dump_json(indent=2))
        handle.flush()
        os.fsync(handle.fileno())
    # The rename is what readers see: the whole old file or the whole new one.
    tmp.replace(path)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise writers (two `ecom apikey` runs); readers need no lock thanks to the rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def create_api_key(
    path: Path, role: Role, *, name: str | None = None, sub: str | None = None
) -> tuple[ApiKeyRecord, str]:
    """Store a new key for `role` and return its record and the key (shown only this once)."""
    if role is Role.CUSTOMER and not sub:
        raise ApiKeyError("A customer key needs --sub, the customer id it acts for.")
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKeyRecord(
        id=key_id,
        name=name,
        role=role,
        sub=sub or f"apikey:{key_id}",
        sha256=key_hash(key),
        created_at=datetime.now(UTC),
    )
    with _locked(path):
        content = _read(path)
        content.keys.append(record)
        _write(path, content)
    return record, key


def list_api_keys(path: Path) -> list[ApiKeyRecord]:
    """Every stored key, revoked ones included, oldest first."""
    return list(_read(path).keys)


def revoke_api_key(path: Path, key_id: str) -> ApiKeyRecord:
    """Mark a key revoked (kept for the record); revoking twice keeps the first time."""
    with _locked(path):
        content = _read(path)
        for index, record in enumerate(content.keys):
            if record.id == key_id:
                if record.active:
                    record = record.model_copy(update={"revoked_at": datetime.now(UTC)})
                    content.keys[index] = record
                    _write(path, content)
                return record
    raise ApiKeyError(f"No API key has the id {key_id!r} (see `ecom apikey list`).")


class ApiKeyVerifier:
    """The gateway's view of the key file, re-read whenever the file is replaced or changed."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._seen: tuple[int, int, int] | None = None
        self._active: dict[str, ApiKeyRecord] = {}

    def _refresh(self) -> None:
        try:
            stat = os.stat(self._path)
        except FileNotFoundError:
            self._seen, self._active = None, {}
            return
        except OSError as error:
            logger.error("API key file %s unreachable; refusing every key: %s", self._path, error)
            self._seen, self._active = None, {}
            return
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if seen == self._seen:
            return
        try:
            content = ApiKeyFileContent.model_validate_json(self._path.read_bytes())
        except (OSError, ValidationError, json.JSONDecodeError) as error:
            # Fail closed: a damaged file must not keep revoked keys alive.
            logger.error("API key file %s is unreadable; refusing every key: %s", self._path, error)
            self._active = {}
        else:
            self._active = {record.sha256: record for record in content.keys if record.active}
        self._seen = seen

    def principal(self, key: str) -> Principal | None:
        """The caller behind an active key, or None for an unknown or revoked key."""
        self._refresh()
        record = self._active.get(key_hash(key))
        return record.principal() if record is not None else None
