"""The coverage floor of `tests/coverage_gate.py`, in a real pytest run of a one-test suite:
below the floor the run fails and says so; at or above it, it passes; a run of named paths
only prints its numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _run_suite(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    suite = tmp_path / "test_one.py"
    suite.write_text(
        "from shared.identity import Role\n\n\ndef test_roles():\n    assert Role.ADMIN.value\n"
    )
    # The inner run keeps its coverage data to itself, apart from the suite running this test.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE", "COVERAGE"))}
    env["COVERAGE_FILE"] = str(tmp_path / ".coverage")
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
            # The project's settings and the gate, for a test file outside tests/.
            *("-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT)),
            *("-p", "tests.coverage_gate", *options),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_whole_suite_below_the_floor_fails_and_above_it_passes(tmp_path: Path) -> None:
    as_whole_suite = ("-o", f"testpaths={tmp_path / 'test_one.py'}")
    below = _run_suite(tmp_path, *as_whole_suite, "-o", "coverage_floor=99")
    above = _run_suite(tmp_path, *as_whole_suite, "-o", "coverage_floor=0.01")

    assert below.returncode == 1, below.stdout
    assert "is below the floor of 99.00%" in below.stdout
    assert "coverage per package (lines + branches):" in below.stdout
    assert above.returncode == 0, above.stdout
    assert "floor of the whole suite: 0.01%" in above.stdout


def test_a_run_of_named_paths_is_never_held_to_the_floor(tmp_path: Path) -> None:
    named = _run_suite(tmp_path, "-o", "coverage_floor=99", str(tmp_path / "test_one.py"))

    assert named.returncode == 0, named.stdout
    assert "TOTAL" in named.stdout
    assert "below the floor" not in named.stdout
