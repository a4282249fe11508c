"""The embedded server explains what to do when no PostgreSQL binaries exist."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from shared import embedded_postgres
from shared.embedded_postgres import EmbeddedPostgresError, find_postgres_bin_dir


def test_missing_binaries_give_an_actionable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda _name: None)
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr(embedded_postgres, "Path", _NoDebianPath)
    with pytest.raises(EmbeddedPostgresError, match="ECOM_DATABASE_URL"):
        find_postgres_bin_dir()


class _NoDebianPath(type(Path())):  # type: ignore[misc]
    """A Path whose glob finds nothing, as on a machine without Debian's PostgreSQL."""

    def glob(self, pattern: str, **_kwargs: object) -> list[Path]:
        return []
