"""Prefect's own logs as JSON lines when ECOM_LOG_FORMAT=json.

Prefect configures logging from a YAML file of its own (PREFECT_LOGGING_SETTINGS_PATH). This
writes a copy of Prefect's default file into PREFECT_HOME in which the console handlers are
plain stream handlers formatted by `shared.log.JsonFormatter` (Prefect's console handler draws
with rich and wraps long lines); its API handlers, which feed the UI, stay as they are.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # Prefect's dependency; no stubs pinned

JSON_LOGGING_FILE = "logging-json.yml"
_JSON_FORMATTER = "ecom_json"


def _default_config() -> dict[str, Any]:
    # Located without importing Prefect: it reads its settings once, when first imported.
    spec = importlib.util.find_spec("prefect")
    if spec is None or spec.origin is None:
        raise RuntimeError("Prefect is not installed")
    default = Path(spec.origin).parent / "logging" / "logging.yml"
    config: dict[str, Any] = yaml.safe_load(default.read_text())
    return config


def json_logging_config() -> dict[str, Any]:
    """Prefect's default logging configuration with every stream handler writing JSON."""
    config = _default_config()
    config.setdefault("formatters", {})[_JSON_FORMATTER] = {"()": "shared.log.JsonFormatter"}
    for handler in config.get("handlers", {}).values():
        if "stream" in handler:  # console and debug: to stderr, one JSON object per line
            level = handler.get("level", 0)
            handler.clear()
            handler.update(
                {
                    "class": "logging.StreamHandler",
                    "level": level,
                    "formatter": _JSON_FORMATTER,
                    "stream": "ext://sys.stderr",
                }
            )
    return config


def write_json_logging_settings(prefect_home: Path) -> Path:
    """Write the JSON configuration into `prefect_home`; its path for
    PREFECT_LOGGING_SETTINGS_PATH."""
    prefect_home.mkdir(parents=True, exist_ok=True)
    path = prefect_home / JSON_LOGGING_FILE
    text = json.dumps(json_logging_config(), indent=1)  # JSON is YAML too
    if not path.exists() or path.read_text() != text:
        tmp = path.with_name(f".{JSON_LOGGING_FILE}.{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return path
