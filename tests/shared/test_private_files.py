"""Local secrets: created once and exclusively, private to the owner, agreed on by every process."""

from __future__ import annotations

import json
import multiprocessing
import stat
from pathlib import Path
from typing import Any

from shared.private_files import create_exclusive, json_value
from shared.settings import LOCAL_SECRETS_FILE, local_secret

WRITERS = 10


def _writer(data_dir: str, index: int, results: Any, start: Any) -> None:
    folder = Path(data_dir)
    start.wait(timeout=30)  # every writer at once, as racing `ecom` processes do
    shared = local_secret(folder, "internal_secret").get_secret_value()
    own = local_secret(folder, f"extra_{index}").get_secret_value()
    results.put((index, shared, own))


def test_concurrent_creations_agree_on_every_value(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "data"
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start = context.Barrier(WRITERS)
    processes = [
        context.Process(target=_writer, args=(str(data_dir), i, results, start))
        for i in range(WRITERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    seen = [results.get(timeout=5) for _ in range(WRITERS)]

    stored = json.loads((data_dir / LOCAL_SECRETS_FILE).read_text())
    assert len({shared for _, shared, _ in seen}) == 1
    assert stored["internal_secret"] == seen[0][1]
    assert all(stored[f"extra_{index}"] == own for index, _, own in seen)
    assert stat.S_IMODE((data_dir / LOCAL_SECRETS_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_an_existing_file_is_never_overwritten_by_a_creation(tmp_path: Path) -> None:
    target = tmp_path / "secrets.json"
    assert create_exclusive(target, b'{"a": "1"}')
    assert not create_exclusive(target, b'{"a": "2"}')
    assert json.loads(target.read_text()) == {"a": "1"}
    assert json_value(target, "a", lambda: "3") == "1"
    assert json_value(target, "b", lambda: "4") == "4"
    assert json.loads(target.read_text()) == {"a": "1", "b": "4"}


def test_an_existing_data_dir_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o750)
    local_secret(tmp_path, "jwt_secret")
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o750
