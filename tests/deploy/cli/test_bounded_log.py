"""Component logs of `ecom up`: rotation, private files, every line JSON when asked."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

from deploy.cli.bounded_log import BoundedLog


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_rotates_at_max_bytes_and_keeps_the_configured_backups(tmp_path: Path) -> None:
    path = tmp_path / "admin.log"
    log = BoundedLog(path, max_bytes=1000, backups=2, json_lines=False, logger="admin")
    for number in range(100):
        log.write_line(f"line {number:03d} {'x' * 40}\n".encode())
    log.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["admin.log", "admin.log.1", "admin.log.2"]
    for name in files:
        assert (tmp_path / name).stat().st_size <= 1000
        assert mode(tmp_path / name) == 0o600
    # The newest lines are in admin.log, the ones before them in .1, then .2; none is split.
    newest = path.read_text().splitlines()
    assert newest[-1].startswith("line 099")
    previous = (tmp_path / "admin.log.1").read_text().splitlines()
    assert int(previous[-1].split()[1]) + 1 == int(newest[0].split()[1])
    assert all(len(line) == len(newest[0]) for line in newest + previous)


def test_no_backups_starts_the_file_again(tmp_path: Path) -> None:
    path = tmp_path / "gateway.log"
    log = BoundedLog(path, max_bytes=200, backups=0, json_lines=False, logger="gateway")
    for number in range(50):
        log.write_line(f"{number:02d} {'y' * 20}\n".encode())
    log.close()
    assert [p.name for p in tmp_path.iterdir()] == ["gateway.log"]
    assert path.stat().st_size <= 200
    assert path.read_text().splitlines()[-1].startswith("49")


def test_an_existing_open_log_becomes_private(tmp_path: Path) -> None:
    path = tmp_path / "flows.log"
    path.write_text("old\n")
    os.chmod(path, 0o644)
    BoundedLog(path, max_bytes=10_000, backups=1, json_lines=False, logger="flows").close()
    assert mode(path) == 0o600
    assert path.read_text() == "old\n"


def test_json_mode_keeps_json_lines_and_wraps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "prefect-server.log"
    log = BoundedLog(path, max_bytes=100_000, backups=1, json_lines=True, logger="prefect-server")
    stream = io.BytesIO(
        b'{"time": "t", "level": "INFO", "logger": "x", "message": "already json"}\n'
        b"INFO:     Started server process [42]\n"
        b"Traceback (most recent call last):\n"
        b"[1, 2]\n"
        b"{not json\n"
        b"\xff\xfe bytes\n"
    )
    log.copy_from(stream).join(timeout=5)
    log.note("admin stopped (exit 1)")
    log.close()
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert entries[0]["message"] == "already json"
    assert "raw" not in entries[0]
    assert [e["message"] for e in entries[1:6]] == [
        "INFO:     Started server process [42]",
        "Traceback (most recent call last):",
        "[1, 2]",
        "{not json",
        "\ufffd\ufffd bytes",
    ]
    assert all(e["logger"] == "prefect-server" and e["raw"] is True for e in entries[1:6])
    assert entries[6]["logger"] == "ecom.up"
    assert entries[6]["level"] == "WARNING"
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)


def test_writes_after_close_are_dropped_quietly(tmp_path: Path) -> None:
    log = BoundedLog(tmp_path / "x.log", max_bytes=1000, backups=1, json_lines=False, logger="x")
    log.close()
    log.write_line(b"late\n")
    assert (tmp_path / "x.log").read_text() == ""
