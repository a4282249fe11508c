"""deploy/ is the one composition root: no deployable imports another one or deploy/, and the
declarations name settings classes and app factories that exist."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.deployables import DEPLOYABLES, Kind

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())
# Each deployable package, and the top-level names it must not load.
PACKAGES = {
    "flows": ("services", "gateway", "deploy"),
    "gateway": ("flows", "services", "deploy"),
    **{
        f"services.{name}": (
            "flows",
            "gateway",
            "deploy",
            *(f"services.{other}" for other in SERVICES if other != name),
        )
        for name in SERVICES
    },
}

PROBE = """
import importlib, json, pkgutil, sys
package = importlib.import_module({package!r})
names = [{package!r}] + [
    m.name for m in pkgutil.walk_packages(package.__path__, {package!r} + ".")
    if ".migrations." not in m.name + "."
]
for name in names:
    importlib.import_module(name)
forbidden = {forbidden!r}
loaded = sorted(
    m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in forbidden)
)
print(json.dumps({{"imported": len(names), "loaded": loaded}}))
"""


def probe(package: str, forbidden: tuple[str, ...]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(package=package, forbidden=forbidden)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def test_every_service_package_is_probed() -> None:
    assert {"admin", "loyalty", "reminders", "transparency"} <= set(SERVICES)


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_a_deployable_imports_no_other_deployable_nor_the_composition_root(package: str) -> None:
    found = probe(package, PACKAGES[package])
    assert found["loaded"] == []
    assert isinstance(found["imported"], int)
    assert found["imported"] > 1


def test_the_probe_catches_an_import_of_the_composition_root() -> None:
    loaded = probe("gateway", ("deploy", "json"))["loaded"]
    assert isinstance(loaded, list)
    assert "json" in loaded  # json is imported by the probe itself: it must be seen


@pytest.mark.parametrize("deployable", DEPLOYABLES, ids=lambda d: d.name)
def test_declared_dotted_paths_resolve(deployable: object) -> None:
    from deploy.deployables import Deployable

    assert isinstance(deployable, Deployable)
    module, _, name = deployable.settings.partition(":")
    assert isinstance(getattr(importlib.import_module(module), name), type)
    if deployable.kind is Kind.HTTP:
        assert deployable.app_factory is not None
        module, _, name = deployable.app_factory.partition(":")
        assert callable(getattr(importlib.import_module(module), name))
    else:
        assert deployable.app_factory is None
