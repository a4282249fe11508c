"""The lake: one fsspec-backed object store, local disk (`file://`) or S3/MinIO (`s3://`).

Keys are '/'-separated paths below the store's root, e.g. `bronze/orders/ingest_date=.../x.csv`.
Writes are atomic (temporary name then rename locally, a single PUT on S3) and `create_new`
never overwrites (hard link locally, a conditional PUT with If-None-Match on S3).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

import fsspec
from fsspec.spec import AbstractFileSystem

from shared.settings import ObjectStoreSettings


def _write_temporary_beside(target: Path, data: bytes) -> Path:
    """Write `data` durably to a hidden temporary file next to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return tmp


class ObjectStore:
    """Read, list and write objects below one root URL."""

    def __init__(self, root_url: str, storage_options: dict[str, Any] | None = None) -> None:
        self.root_url = root_url.rstrip("/")
        self.protocol = root_url.split("://", 1)[0] if "://" in root_url else "file"
        if self.protocol not in {"file", "s3"}:
            raise ValueError(f"Unsupported object store URL {root_url!r}: use file:// or s3://")
        fs, root = fsspec.core.url_to_fs(self.root_url, **(storage_options or {}))
        self.fs: AbstractFileSystem = fs
        self.root: str = root.rstrip("/")
        if self.is_local:
            Path(self.root).mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_settings(cls, settings: ObjectStoreSettings) -> ObjectStore:
        """The store the settings describe (S3 endpoint and credentials included)."""
        options: dict[str, Any] = {}
        if settings.lake_url.startswith("s3://"):
            client_kwargs: dict[str, Any] = {"region_name": settings.s3_region}
            if settings.s3_endpoint_url:
                client_kwargs["endpoint_url"] = settings.s3_endpoint_url
            options["client_kwargs"] = client_kwargs
            if settings.s3_access_key_id and settings.s3_secret_access_key:
                options["key"] = settings.s3_access_key_id.get_secret_value()
                options["secret"] = settings.s3_secret_access_key.get_secret_value()
        return cls(settings.lake_url, options)

    @property
    def is_local(self) -> bool:
        """Whether objects are files on this machine."""
        return self.protocol == "file"

    def _path(self, key: str) -> str:
        return f"{self.root}/{key.lstrip('/')}"

    def url(self, key: str) -> str:
        """The full URL of `key` (for logs and lineage)."""
        return f"{self.root_url}/{key.lstrip('/')}"

    def exists(self, key: str) -> bool:
        """Whether `key` exists."""
        return bool(self.fs.exists(self._path(key)))

    def size(self, key: str) -> int:
        """The size of `key` in bytes."""
        return int(self.fs.size(self._path(key)))

    def read_bytes(self, key: str) -> bytes:
        """The whole object."""
        data: bytes = self.fs.cat_file(self._path(key))
        return data

    @contextmanager
    def open_read(self, key: str) -> Iterator[IO[bytes]]:
        """A binary file object streaming `key`."""
        with self.fs.open(self._path(key), "rb") as handle:
            yield handle

    def list(self, prefix: str) -> list[str]:
        """Keys below `prefix`, sorted, without temporary files."""
        base = self._path(prefix).rstrip("/")
        if not self.fs.exists(base):
            return []
        keys = []
        for path in self.fs.find(base):
            name = path.rsplit("/", 1)[-1]
            if name.startswith("."):
                continue
            keys.append(path[len(self.root) + 1 :] if path.startswith(self.root) else path)
        return sorted(keys)

    def write_atomic(self, key: str, data: bytes) -> None:
        """Write `key` so that readers see the old object or the whole new one."""
        path = self._path(key)
        if not self.is_local:
            self.fs.pipe_file(path, data)
            return
        target = Path(path)
        tmp = _write_temporary_beside(target, data)
        tmp.replace(target)

    @contextmanager
    def atomic_writer(self, key: str) -> Iterator[IO[bytes]]:
        """A binary file that becomes `key` whole when the block exits cleanly, else nothing.

        For large objects written in a stream: a hidden temporary file beside the target that is
        renamed into place locally; a local spool file sent as one upload on S3 (a multipart
        upload is invisible until it completes).
        """
        path = self._path(key)
        if self.is_local:
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            try:
                with open(tmp, "wb") as handle:
                    yield handle
                    handle.flush()
                    os.fsync(handle.fileno())
                tmp.replace(target)
            finally:
                tmp.unlink(missing_ok=True)
            return
        with tempfile.NamedTemporaryFile(prefix="ecom-upload-", suffix=".tmp") as spool:
            yield spool
            spool.flush()
            self.fs.put_file(spool.name, path)

    def copy(self, source: str, target: str) -> None:
        """Copy `source` to `target` atomically (a server-side copy on S3)."""
        if not self.is_local:
            self.fs.copy(self._path(source), self._path(target))
            return
        with open(self._path(source), "rb") as reader, self.atomic_writer(target) as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)

    def create_new(self, key: str, data: bytes) -> bool:
        """Write `key` only if it does not exist; False when it already did (never overwrites)."""
        path = self._path(key)
        if not self.is_local:
            try:
                self.fs.pipe_file(path, data, mode="create")
            except FileExistsError:
                return False
            return True
        target = Path(path)
        tmp = _write_temporary_beside(target, data)
        try:
            os.link(tmp, target)  # fails when the target exists: write-once without a race
        except FileExistsError:
            return False
        finally:
            tmp.unlink()
        return True

    def delete(self, key: str) -> None:
        """Remove `key` if present."""
        with suppress(FileNotFoundError):
            self.fs.rm_file(self._path(key))
