"""ECOM_LOG_FORMAT=json reaches Prefect's own logging configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_text_format_leaves_prefects_logging_alone(tmp_path: Path) -> None:
    script = (
        "from pathlib import Path\n"
        "from deploy.cli.prefect_env import prefect_environment\n"
        f"print(sorted(prefect_environment(Path({str(tmp_path)!r}))))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOM_LOG")}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert "PREFECT_LOGGING_SETTINGS_PATH" not in result.stdout
    assert "PREFECT_HOME" in result.stdout


def test_json_format_makes_prefects_loggers_write_json_lines(tmp_path: Path) -> None:
    script = (
        "import logging, os\n"
        "from pathlib import Path\n"
        "from deploy.cli.prefect_env import prefect_environment\n"
        f"os.environ.update(prefect_environment(Path({str(tmp_path)!r})))\n"
        "from prefect.logging import get_logger\n"
        "import prefect.logging.configuration as c; c.setup_logging()\n"
        "get_logger('prefect.test').warning('from prefect %s', 1)\n"
        "logging.getLogger('some.library').warning('a library line')\n"
        "get_logger('prefect.server').warning('server line')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ECOM_LOG"))}
    env["ECOM_LOG_FORMAT"] = "json"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    settings_file = tmp_path / "prefect" / "logging-json.yml"
    assert settings_file.exists()
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is JSON
    assert [(e["logger"], e["message"]) for e in entries] == [
        ("prefect.test", "from prefect 1"),
        ("some.library", "a library line"),
        ("prefect.server", "server line"),
    ]
    # The handlers that feed Prefect's UI are kept.
    handlers = json.loads(settings_file.read_text())["handlers"]
    assert handlers["api"]["class"] == "prefect.logging.handlers.APILogHandler"
