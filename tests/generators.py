"""Runs the client generators installed with the dev dependencies, as their command lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The generators' console scripts sit beside this interpreter; openapi-python-client also runs
# `ruff` (a dev dependency) from PATH over what it generated.
SCRIPTS = Path(sys.executable).parent


def run_generator(command: str, *arguments: str) -> str:
    """Run a generator; its combined output (the test asserts it holds no warning)."""
    completed = subprocess.run(
        [str(SCRIPTS / command), *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": f"{SCRIPTS}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    return output
