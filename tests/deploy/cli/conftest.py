"""CLI tests start embedded clusters through `ecom`; as root those live under /var/lib.

After each test, discard the clusters whose data dir was inside the test's temporary folder
(stopping any still running), so that test runs leave nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.embedded_postgres import MARKER_FILE, ROOT_STATE_DIR, EmbeddedPostgres


def _clusters_under(folder: Path) -> list[Path]:
    """Data dirs (as named by their marker files) of root-run clusters inside `folder`."""
    clusters = ROOT_STATE_DIR / "clusters"
    if not clusters.is_dir():
        return []
    found = []
    for cluster in clusters.iterdir():
        try:
            location = Path((cluster / MARKER_FILE).read_text().strip())
        except OSError:
            continue
        if location.is_relative_to(folder):
            found.append(location)
    return found


@pytest.fixture(autouse=True)
def discard_root_clusters(tmp_path: Path) -> Iterator[None]:
    yield
    for location in _clusters_under(tmp_path.resolve()):
        EmbeddedPostgres(location, 0).discard()
