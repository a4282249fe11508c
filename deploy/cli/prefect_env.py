"""The environment Prefect needs: offline, its home inside the data directory."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy.cli.prefect_logging import write_json_logging_settings
from shared.log import LogFormat, LogFormatSettings

# Prefect keeps deployment concurrency leases in the server's memory by default: a server
# restart forgets which run holds a slot, and the slot stays taken for good. On disk (in
# PREFECT_HOME) the server's repossessor frees the slot of a holder that stopped renewing.
DURABLE_LEASE_STORAGE = "prefect.server.concurrency.lease_storage.filesystem"
# A first start migrates a new SQLite database: Prefect's 20 s is too short on a busy machine.
TEMPORARY_SERVER_STARTUP_S = 90


def prefect_environment(data_dir: Path, api_url: str | None = None) -> dict[str, str]:
    """Variables for a process that runs Prefect (server, runner or a one-off flow)."""
    env = {
        "PREFECT_HOME": str(data_dir / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_EXTRA_LOGGERS": "flows,shared",
        # Our loggers also run outside flow runs (CLI, tests); there they just log locally.
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "PREFECT_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        "PREFECT_CLI_PROMPT": "false",
        # The flows runner picks up a triggered run within a second, not the default ten.
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": DURABLE_LEASE_STORAGE,
    }
    if api_url:
        env["PREFECT_API_URL"] = api_url
    logs = LogFormatSettings()
    env["PREFECT_LOGGING_LEVEL"] = logs.log_level.upper()  # ECOM_LOG_LEVEL for flow code too
    if logs.log_format is LogFormat.JSON:  # Prefect's own lines as JSON too
        settings_path = write_json_logging_settings(data_dir / "prefect")
        env["PREFECT_LOGGING_SETTINGS_PATH"] = str(settings_path)
    return env


def apply_prefect_environment(data_dir: Path) -> None:
    """Configure Prefect for this process before it is imported; explicit user values win."""
    for name, value in prefect_environment(data_dir).items():
        os.environ.setdefault(name, value)


def prefect_server_command(port: int) -> list[str]:
    """The Prefect server `ecom up` runs (UI, scheduler and the other services) on `port`."""
    return [
        sys.executable,
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--analytics-off",
    ]


def port_outside(reserved: Collection[int]) -> int:
    """A free loopback port that is none of `reserved` (the platform's ports)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))  # the kernel's ephemeral range, not 8000-8999
            port: int = probe.getsockname()[1]
        if port not in reserved:
            return port


@contextmanager
def prefect_api(api_url: str | None, reserved_ports: Collection[int]) -> Iterator[str]:
    """The Prefect API a one-off flow reports to: `api_url`, else a temporary server.

    Left to itself Prefect starts its temporary server on a random port in 8000-8999, where
    the gateway and the services listen; this one gets a port outside `reserved_ports`. Call
    before Prefect is imported: the flow's clients read the API URL from the environment.
    """
    if api_url:
        yield api_url
        return
    port = port_outside(reserved_ports)
    url = f"http://127.0.0.1:{port}/api"
    os.environ["PREFECT_API_URL"] = url
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer(port=port)
    try:
        server.start(timeout=TEMPORARY_SERVER_STARTUP_S)
        if server.port != port:  # lost a race for the port; Prefect retried in 8000-8999
            raise RuntimeError(f"port {port} was taken while Prefect started; run again")
        yield url
    finally:
        server.stop()
        del os.environ["PREFECT_API_URL"]
