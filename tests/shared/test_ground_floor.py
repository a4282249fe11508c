"""`shared` is the ground floor: importing any module of it loads no deployable and no part of
the composition root (deploy/), which alone imports them all."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import shared

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("flows", "services", "gateway", "deploy")

PROBE = """
import importlib, json, pkgutil, sys
import shared
names = ["shared"] + [m.name for m in pkgutil.walk_packages(shared.__path__, "shared.")]
for name in names:
    importlib.import_module(name)
loaded = sorted(
    m for m in sys.modules if m.split(".")[0] in {forbidden!r}
)
print(json.dumps({{"imported": names, "loaded": loaded}}))
"""


def shared_modules() -> list[str]:
    return ["shared", *(m.name for m in pkgutil.walk_packages(shared.__path__, "shared."))]


def probe(code: str) -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def test_importing_every_module_of_shared_loads_no_deployable() -> None:
    found = probe(PROBE.format(forbidden=set(FORBIDDEN)))
    assert set(found["imported"]) == set(shared_modules())
    assert len(found["imported"]) > 30, "the walk must see every module of shared"
    assert found["loaded"] == []


def test_the_probe_sees_a_deployable_when_one_is_imported() -> None:
    """The same probe fails on an import of a deployable (so the check above can fail)."""
    code = PROBE.format(forbidden=set(FORBIDDEN)).replace(
        "import shared\n", "import shared\nimport gateway.settings\n", 1
    )
    assert "gateway.settings" in probe(code)["loaded"]


def test_no_module_of_shared_lives_in_the_composition_root() -> None:
    assert not (ROOT / "shared" / "cli").exists(), "the CLI lives in deploy/cli"


def test_no_module_of_shared_imports_a_deployable_even_late() -> None:
    """Not even inside a function: the composition root passes in what shared needs."""
    late = []
    for path in sorted((ROOT / "shared").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            late += [
                f"{path.relative_to(ROOT)}:{node.lineno} {name}"
                for name in names
                if name.split(".")[0] in FORBIDDEN
            ]
    assert late == []
