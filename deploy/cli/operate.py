"""`ecom status` and `ecom down`: look at, and stop, a stack `ecom up` runs (any terminal).

Both read ECOM_DATA_DIR/ecom-up.json, which `ecom up` keeps current (process ids, ports,
restarts). `ecom status` exits 0 when every component answers, 1 when some do not, 3 when no
stack runs for that data directory.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import typer

from deploy.cli.stack_state import is_ecom_up, read_state, state_path
from shared.settings import EcomSettings

EXIT_ALL_UP = 0
EXIT_SOME_DOWN = 1
EXIT_NOT_RUNNING = 3
DOWN_TIMEOUT_S = 90
PIPELINE_FLOW = "data_pipeline"


def _answers(url: str | None) -> bool:
    if url is None:
        return True
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _flow_run(api_url: str, criteria: dict[str, Any], sort: str) -> dict[str, Any] | None:
    body = {
        "flows": {"name": {"any_": [PIPELINE_FLOW]}},
        "flow_runs": criteria,
        "sort": sort,
        "limit": 1,
    }
    response = httpx.post(f"{api_url}/flow_runs/filter", json=body, timeout=5.0)
    response.raise_for_status()
    runs: list[dict[str, Any]] = response.json()
    return runs[0] if runs else None


def pipeline_summary(api_url: str) -> dict[str, Any]:
    """The last data_pipeline run (name, state, start, end) and how old the data is: the age
    in seconds of the end of the last run that completed."""
    try:
        last = _flow_run(api_url, {"start_time": {"is_null_": False}}, "START_TIME_DESC")
        done = _flow_run(api_url, {"state": {"type": {"any_": ["COMPLETED"]}}}, "END_TIME_DESC")
    except (httpx.HTTPError, ValueError) as error:
        return {"error": f"Prefect API unavailable at {api_url} ({type(error).__name__})"}
    summary: dict[str, Any] = {"last_run": None, "last_success_at": None, "freshness_s": None}
    if last is not None:
        summary["last_run"] = {
            "name": last.get("name"),
            "state": last.get("state_name") or (last.get("state") or {}).get("name"),
            "started_at": last.get("start_time"),
            "ended_at": last.get("end_time"),
        }
    if done is not None and done.get("end_time"):
        ended = datetime.fromisoformat(done["end_time"])
        summary["last_success_at"] = done["end_time"]
        summary["freshness_s"] = round((datetime.now(UTC) - ended).total_seconds(), 1)
    return summary


def stack_status(state: dict[str, Any]) -> dict[str, Any]:
    """Each recorded component's state (`up` when its process lives and it answers)."""
    from deploy.cli.stack_state import pid_alive

    components = []
    for name, entry in state.get("components", {}).items():
        alive = isinstance(entry.get("pid"), int) and pid_alive(entry["pid"])
        up = alive and _answers(entry.get("health_url"))
        components.append(
            {
                "name": name,
                "state": "up" if up else ("starting" if alive else "down"),
                "pid": entry.get("pid"),
                "port": entry.get("port"),
                "url": entry.get("url"),
                "restarts": entry.get("restarts", 0),
                "log": entry.get("log"),
            }
        )
    database = state.get("postgresql")
    if isinstance(database, dict) and isinstance(database.get("port"), int):
        up = _port_open(database["port"])
        components.append(
            {
                "name": "postgresql",
                "state": "up" if up else "down",
                "pid": None,
                "port": database["port"],
                "url": None,
                "restarts": 0,
                "log": None,
            }
        )
    return {
        "running": True,
        "ready": bool(state.get("ready")),
        "pid": state.get("pid"),
        "started_at": state.get("started_at"),
        "data_dir": state.get("data_dir"),
        "all_up": all(c["state"] == "up" for c in components),
        "components": components,
        "pipeline": pipeline_summary(state["prefect_api_url"])
        if state.get("prefect_api_url")
        else None,
    }


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "no successful run yet"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _print_status(report: dict[str, Any]) -> None:
    phase = "ready" if report["ready"] else "starting"
    typer.echo(
        f"ecom up (pid {report['pid']}) {phase}, started {report['started_at']},"
        f" data in {report['data_dir']}"
    )
    for c in report["components"]:
        port = c["port"] if c["port"] is not None else "-"
        restarts = f"  restarts {c['restarts']}" if c["restarts"] else ""
        typer.echo(f"  {c['name']:<14} {c['state']:<9} port {port:<6} pid {c['pid']}{restarts}")
    pipeline = report["pipeline"]
    if pipeline is None:
        return
    if "error" in pipeline:
        typer.echo(f"  pipeline: {pipeline['error']}")
        return
    last = pipeline["last_run"]
    if last is None:
        typer.echo("  pipeline: no data_pipeline run yet")
    else:
        typer.echo(
            f"  pipeline: last run {last['name']} {last['state']}, started {last['started_at']}"
        )
    typer.echo(f"  freshness: last successful run ended {_age(pipeline['freshness_s'])}")


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Which components of `ecom up` run, on which ports; the last pipeline run; freshness.
    Exit 0: all up; 1: some down; 3: not running."""
    data_dir = EcomSettings().data_path
    state = read_state(data_dir)
    if state is None or not isinstance(state.get("pid"), int) or not is_ecom_up(state["pid"]):
        if as_json:
            typer.echo(json.dumps({"running": False, "data_dir": str(data_dir)}))
        else:
            typer.echo(f"not running (no `ecom up` for {data_dir})")
        raise typer.Exit(code=EXIT_NOT_RUNNING)
    report = stack_status(state)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        _print_status(report)
    raise typer.Exit(code=EXIT_ALL_UP if report["all_up"] else EXIT_SOME_DOWN)


def _stop_orphaned_embedded_server() -> None:
    """Stop the embedded PostgreSQL a killed `ecom up` left running (nothing else stops it)."""
    from shared.database import embedded_server
    from shared.settings import RuntimeMode

    settings = EcomSettings()
    if settings.mode is not RuntimeMode.LOCAL or settings.database_url is not None:
        return
    server = embedded_server(settings)
    if server.is_running():
        typer.echo("stopping the embedded PostgreSQL a killed `ecom up` left running ...", err=True)
        server.stop()


def down(
    timeout: Annotated[
        float, typer.Option(min=1, help="Seconds to wait for everything to stop.")
    ] = DOWN_TIMEOUT_S,
) -> None:
    """Stop the stack `ecom up` runs for this data directory (started in any terminal)."""
    data_dir = EcomSettings().data_path
    state = read_state(data_dir)
    pid = state.get("pid") if state else None
    if not isinstance(pid, int) or not is_ecom_up(pid):
        if state is not None:  # left by an `ecom up` that was killed (its children died with it)
            if state.get("postgresql"):
                _stop_orphaned_embedded_server()
            state_path(data_dir).unlink(missing_ok=True)
        typer.echo(f"not running (no `ecom up` for {data_dir}); nothing to stop")
        return
    typer.echo(f"stopping ecom up (pid {pid}) ...", err=True)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_ecom_up(pid):
            typer.echo("stopped")
            return
        time.sleep(0.3)
    typer.secho(
        f"error: ecom up (pid {pid}) is still stopping after {timeout:g} s; see"
        f" {data_dir / 'logs'} (or `kill -9 {pid}`, then `ecom down` again)",
        fg=typer.colors.RED,
        err=True,
    )
    raise typer.Exit(code=1)
