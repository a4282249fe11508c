"""Logging set-up shared by every process."""

from __future__ import annotations

import logging

from shared.tracing import install_trace_log_fields

# `trace_id` is the W3C trace of the request being served (`-` outside one): see shared/tracing.
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(trace_id)s]: %(message)s"
# Chatty at INFO about every request or migration step; their warnings still show.
QUIET_LOGGERS = ("httpx", "alembic", "aiosqlite", "asyncio")


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr at `level` once per process."""
    install_trace_log_fields()
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level.upper(), format=LOG_FORMAT)
    else:
        root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
