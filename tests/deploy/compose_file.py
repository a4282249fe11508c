"""compose.yaml read as compose would: YAML merge keys resolved, `${VAR...}` interpolated."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).parents[2]
COMPOSE_FILE = ROOT / "compose.yaml"

# ${NAME}, ${NAME:-default}, ${NAME:?message}, ${NAME-default}, ${NAME?message}; `$$` is a `$`.
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def load_raw() -> dict[str, Any]:
    """compose.yaml as YAML, before interpolation."""
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return document


def variables(text: str) -> list[tuple[str, str | None]]:
    """Every interpolated variable of `text`: (name, operator or None)."""
    return [(match["name"], match["op"]) for match in _VARIABLE.finditer(text)]


def interpolate(value: Any, environment: dict[str, str]) -> Any:
    """`value` with every `${...}` replaced as compose does; a missing required one raises."""
    if isinstance(value, dict):
        return {key: interpolate(item, environment) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, environment) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        given = environment.get(name)
        if op in (":?", "?") and not given:
            raise KeyError(f"{name}: {arg}")
        if op in (":-", "-") and not given:
            return arg
        return given or ""

    return _VARIABLE.sub(replace, value.replace("$$", "\x00")).replace("\x00", "$")


def load(environment: dict[str, str]) -> dict[str, Any]:
    """compose.yaml as compose runs it with `environment` as its --env-file."""
    document: dict[str, Any] = interpolate(load_raw(), environment)
    return document


def env_file(service: dict[str, Any]) -> dict[str, str]:
    """The variables of a service's env_file(s), as KEY=VALUE lines."""
    files = service.get("env_file", [])
    values: dict[str, str] = {}
    for name in [files] if isinstance(files, str) else files:
        for line in (ROOT / name).read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    return values


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    """What a container of `service` sees: env_file first, `environment` over it."""
    values = env_file(service)
    declared = service.get("environment", {})
    if isinstance(declared, list):
        declared = dict(item.split("=", 1) for item in declared)
    values.update({key: str(value) for key, value in declared.items()})
    return values
