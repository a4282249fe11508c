"""Logging set-up shared by every process: text for people, or one JSON object per line.

`ECOM_LOG_FORMAT=json` makes every line a JSON object with `time`, `level`, `logger`,
`message`, and `request_id` / `flow_run_id` / `task_run_id` where known, plus any `extra=`
fields the caller passed (the gateway's access log uses them).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.request_context import current_request_id
from shared.tracing import install_trace_log_fields

# `trace_id` is the W3C trace of the request being served (`-` outside one): see shared/tracing.
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(trace_id)s]: %(message)s"
# Chatty at INFO about every request or migration step; their warnings still show.
QUIET_LOGGERS = ("httpx", "alembic", "aiosqlite", "asyncio")
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured copy of the message
}


# shared.tracing puts `-` on records logged outside a traced request.
_OUTSIDE_A_TRACE = frozenset({"trace_id", "span_id"})


class LogFormat(StrEnum):
    """How log lines look."""

    TEXT = "text"
    JSON = "json"


class LogFormatSettings(BaseSettings):
    """`ECOM_LOG_FORMAT` (and `ECOM_LOG_LEVEL`, as `EcomSettings` reads it): read by every
    process, whatever else it is configured with, and passed on to Prefect."""

    model_config = SettingsConfigDict(
        env_prefix="ECOM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    log_format: LogFormat = Field(
        default=LogFormat.TEXT, description="text | json (one JSON object per line)."
    )
    log_level: str = Field(default="INFO", description="Python logging level.")


def _run_ids() -> dict[str, str]:
    """The Prefect flow run / task run this line is logged from, if any (never imports Prefect)."""
    context = sys.modules.get("prefect.context")
    if context is None:
        return {}
    ids: dict[str, str] = {}
    try:
        flow_run = context.FlowRunContext.get()
        if flow_run is not None and flow_run.flow_run is not None:
            ids["flow_run_id"] = str(flow_run.flow_run.id)
        task_run = context.TaskRunContext.get()
        if task_run is not None:
            ids["task_run_id"] = str(task_run.task_run.id)
            ids.setdefault("flow_run_id", str(task_run.task_run.flow_run_id))
    except Exception:  # a log line must never fail for its context
        return ids
    return ids


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON; `extra=` fields are kept, exceptions become `exc_info` text."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id.get()
        if request_id:
            entry["request_id"] = request_id
        entry.update(_run_ids())
        for key, value in vars(record).items():
            if key in _RECORD_ATTRIBUTES or key in entry or key.startswith("_"):
                continue
            if key in _OUTSIDE_A_TRACE and value == "-":  # no trace: say nothing
                continue
            entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def log_format() -> LogFormat:
    """The configured format (`ECOM_LOG_FORMAT`)."""
    return LogFormatSettings().log_format


def make_formatter(fmt: LogFormat | None = None) -> logging.Formatter:
    """The formatter for `fmt` (default: the configured one)."""
    if (fmt or log_format()) is LogFormat.JSON:
        return JsonFormatter()
    return logging.Formatter(LOG_FORMAT)


def _stamp_request_ids() -> None:
    """Make every record carry the request id current where it was created (a handler may
    format it later, in another thread)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "stamps_request_id", False):
        return

    def stamped(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        request_id = current_request_id.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return record

    stamped.stamps_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(stamped)


def configure_logging(level: str = "INFO", fmt: LogFormat | None = None) -> None:
    """Log to stderr at `level` once per process, as text or JSON (`ECOM_LOG_FORMAT`)."""
    _stamp_request_ids()
    install_trace_log_fields()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(make_formatter(fmt))
        root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
