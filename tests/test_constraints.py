"""Installs are reproducible: both README commands and CI install through constraints.txt, which
pins every dependency within pyproject's ranges, and this environment has exactly those pins."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[1]


def _pins() -> dict[str, str]:
    """Package (canonical name) -> pinned version, from constraints.txt."""
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]["dev"]
    return [Requirement(text) for text in [*project["dependencies"], *extras]]


def test_both_readme_install_commands_and_ci_use_the_constraints_file() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^python3 -m venv \.venv && .*$", readme, re.MULTILINE)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()

    assert len(commands) == 2, commands
    assert all("pip install -c constraints.txt -e " in command for command in commands)
    [test_command] = [command for command in commands if command.endswith("pytest")]
    assert ci[-1] == test_command, "CI runs the README's test command verbatim"
    assert [
        line for line in ci if "pip install" in line and "-e " in line and "-c " not in line
    ] == []


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    pins = _pins()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in constraints.txt: update it (README)"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {requirement.name}=={pins[name]}, outside {requirement}"
        )


def test_this_environment_has_exactly_the_pinned_versions() -> None:
    drifted = {}
    for name, version in _pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # pinned for another platform or Python
        if installed != version:
            drifted[name] = f"{installed} installed, {version} pinned"
    assert drifted == {}, "reinstall with `pip install -c constraints.txt -e '.[dev]'`"
