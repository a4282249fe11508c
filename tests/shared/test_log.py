"""ECOM_LOG_FORMAT=json: one JSON object per line, with the request id where known."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from shared.log import JsonFormatter, LogFormat, LogFormatSettings, make_formatter
from shared.request_context import current_request_id


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("flows.ingest", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_a_record_is_one_json_object_with_the_standard_fields() -> None:
    line = JsonFormatter().format(record("loaded %d rows\nof orders", 3))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "flows.ingest"
    assert entry["message"] == "loaded 3 rows\nof orders"
    assert entry["time"].endswith("+00:00")
    assert "request_id" not in entry
    assert "flow_run_id" not in entry


def test_the_current_request_id_and_extra_fields_are_kept() -> None:
    token = current_request_id.set("req-123")
    try:
        entry = json.loads(JsonFormatter().format(record("x", status=201, path="/api/a")))
    finally:
        current_request_id.reset(token)
    assert entry["request_id"] == "req-123"
    assert entry["status"] == 201
    assert entry["path"] == "/api/a"


def test_exceptions_stay_on_one_line() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(rec)
    assert "\n" not in line
    assert "ValueError: bad" in json.loads(line)["exc_info"]


def test_format_setting_and_formatter_choice(monkeypatch: object) -> None:
    assert LogFormatSettings(_env_file=None).log_format is LogFormat.TEXT
    assert isinstance(make_formatter(LogFormat.JSON), JsonFormatter)
    assert not isinstance(make_formatter(LogFormat.TEXT), JsonFormatter)


def test_a_process_configured_for_json_writes_only_json_lines_at_its_level() -> None:
    script = (
        "import logging\n"
        "from shared.log import configure_logging\n"
        "configure_logging('WARNING')\n"
        "logging.getLogger('a').info('hidden')\n"
        "logging.getLogger('b').warning('shown %s', 1)\n"
        "logging.getLogger('c').error('also shown')\n"
    )
    env = {"ECOM_LOG_FORMAT": "json", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    entries = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(e["logger"], e["message"]) for e in entries] == [("b", "shown 1"), ("c", "also shown")]


def test_text_is_the_default() -> None:
    script = "from shared.log import configure_logging; import logging\n"
    script += "configure_logging(); logging.getLogger('a').info('plain')\n"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.search(r"INFO +a\b.*: plain$", result.stderr.strip()), result.stderr
    assert not result.stderr.startswith("{")


def test_lines_logged_inside_a_flow_run_carry_its_ids(tmp_path: Path) -> None:
    script = (
        "import logging\n"
        "from prefect import flow, task\n"
        "from prefect.testing.utilities import prefect_test_harness\n"
        "from shared.log import JsonFormatter\n"
        "lines = []\n"
        "class Keep(logging.Handler):\n"
        "    def emit(self, record):\n"
        "        lines.append(JsonFormatter().format(record))\n"
        "logging.getLogger('flows.probe').addHandler(Keep())\n"
        "logging.getLogger('flows.probe').setLevel(logging.INFO)\n"
        "@task\n"
        "def step():\n"
        "    logging.getLogger('flows.probe').info('in task')\n"
        "@flow\n"
        "def probe():\n"
        "    logging.getLogger('flows.probe').info('in flow')\n"
        "    step()\n"
        "with prefect_test_harness(server_startup_timeout=120):\n"
        "    probe()\n"
        "print('\\n'.join(lines))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    in_flow, in_task = (json.loads(line) for line in result.stdout.splitlines()[-2:])
    assert in_flow["message"] == "in flow"
    assert len(in_flow["flow_run_id"]) == 36
    assert "task_run_id" not in in_flow
    assert in_task["message"] == "in task"
    assert in_task["flow_run_id"] == in_flow["flow_run_id"]
    assert len(in_task["task_run_id"]) == 36
