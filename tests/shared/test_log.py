"""ECOM_LOG_FORMAT=json: one JSON object per line, with the request id where known."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

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
    assert "INFO    a: plain" in result.stderr
