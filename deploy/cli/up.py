"""`ecom up`: the whole platform on one machine, each component its own process.

Order: embedded PostgreSQL -> `db init` -> `db seed` -> Prefect server -> services, gateway,
flows runner -> a first generated batch through the pipeline -> URLs and an admin token.
Ctrl-C (or SIGTERM) stops every process started here, PostgreSQL last.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from types import FrameType

import httpx
import typer

from deploy.cli.prefect_env import prefect_environment, prefect_server_command
from deploy.cli.settings import PlatformSettings
from deploy.cli.stack_state import now_iso, remove_state, write_state
from deploy.cli.stall_watch import PipelineStallWatch
from deploy.cli.supervisor import Component, ComponentSpec, GaveUpError, Supervisor
from deploy.cli.up_settings import UpSettings
from deploy.database import init_platform_database
from deploy.deployables import DEPLOYABLES, PUBLIC, Deployable, Kind, of_kind
from shared.database import embedded_server, platform_database, resolve_database_url
from shared.embedded_postgres import EmbeddedPostgres
from shared.identity import Role, issue_token
from shared.log import LogFormat, log_format
from shared.owners import Owner


class StartupError(RuntimeError):
    """A component did not come up; the message says which and where its log is."""


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class LocalStack:
    """Starts, watches and stops the local platform."""

    def __init__(self, settings: PlatformSettings) -> None:
        self.settings = settings
        self.data_dir = settings.data_path
        self.log_dir = self.data_dir / "logs"
        self.up_settings = UpSettings()
        self.supervisor = Supervisor(
            log_dir=self.log_dir,
            say=self._say,
            restart_max=self.up_settings.restart_max,
            restart_window_s=self.up_settings.restart_window_s,
            log_max_bytes=self.up_settings.log_max_bytes,
            log_backups=self.up_settings.log_backups,
            json_logs=log_format() is LogFormat.JSON,
            on_change=self._write_state,
        )
        self.started_at = now_iso()
        self.ready = False
        self.server: EmbeddedPostgres | None = None
        self.prefect_url = f"http://127.0.0.1:{settings.prefect_port}/api"
        # Where each declared HTTP deployable listens locally (its port setting in PlatformPorts).
        self.urls = {
            deployable.name: f"http://127.0.0.1:{self._port(deployable)}"
            for deployable in of_kind(Kind.HTTP)
        }
        self.gateway_url = self.urls[PUBLIC]
        self.admin_url = self.urls["admin"]
        self.reminders_url = self.urls["reminders"]
        self.transparency_url = self.urls["transparency"]
        self.loyalty_url = self.urls["loyalty"]
        self.flows_url: str | None = None  # the pipeline role's database URL, once known
        # Where each component listens and answers, for `ecom status`.
        self.endpoints: dict[str, tuple[int | None, str | None, str | None]] = {
            "prefect-server": (
                settings.prefect_port,
                self.prefect_url,
                f"{self.prefect_url}/health",
            ),
            **{
                deployable.name: (
                    self._port(deployable),
                    self.urls[deployable.name],
                    f"{self.urls[deployable.name]}{deployable.readiness_path}",
                )
                for deployable in of_kind(Kind.HTTP)
            },
        }

    def _port(self, deployable: Deployable) -> int:
        """The local port of an HTTP deployable: its port setting, as `ecom up` reads it."""
        port: int = getattr(self.settings, str(deployable.port_setting))
        return port

    @property
    def children(self) -> list[Component]:
        """Every component started so far."""
        return self.supervisor.components

    def _write_state(self) -> None:
        """Record pids, ports and restarts for `ecom status` / `ecom down`."""
        components = {}
        for child in self.children:
            port, url, health_url = self.endpoints.get(child.name, (None, None, None))
            components[child.name] = {
                "pid": child.process.pid,
                "port": port,
                "url": url,
                "health_url": health_url,
                "log": str(child.log),
                "restarts": len(child.restarts),
            }
        state = {
            "pid": os.getpid(),
            "started_at": self.started_at,
            "ready": self.ready,
            "data_dir": str(self.data_dir),
            "log_dir": str(self.log_dir),
            "prefect_api_url": self.prefect_url,
            "components": components,
            "postgresql": {"port": self.server.port} if self.server is not None else None,
        }
        write_state(self.data_dir, state)

    # -- steps ---------------------------------------------------------------------------------

    def _say(self, message: str) -> None:
        typer.secho(f"[ecom up] {message}", fg=typer.colors.CYAN, err=True)

    def _check_ports(self) -> None:
        ports = self.settings.platform_ports()
        del ports["embedded PostgreSQL"]  # checked when (and if) the embedded server starts
        taken = [f"{name} ({port})" for name, port in ports.items() if not _port_is_free(port)]
        if taken:
            raise StartupError(
                "ports already in use: " + ", ".join(taken) + ". Stop what holds them (another "
                "`ecom up`?) or set " + " / ".join(self.settings.port_variables()) + "."
            )

    def _start_database(self) -> str:
        if self.settings.database_url is None:
            self.server = embedded_server(self.settings)
            self._say(f"PostgreSQL (embedded) on 127.0.0.1:{self.server.port} ...")
            self.server.start()
        superuser_url = resolve_database_url(self.settings, None)
        self._say("initialising database, roles and migrations ...")
        asyncio.run(
            init_platform_database(self.settings, superuser_url, platform_database(self.settings))
        )
        self._seed(superuser_url)
        return superuser_url

    def _seed(self, superuser_url: str) -> None:
        """`ecom db seed`: demo rows for the service screens (keeps what is already there)."""
        from deploy.seed import seed_reminders
        from flows.generator.settings import GeneratorSettings

        url = self.settings.owner_url(superuser_url, Owner.REMINDERS)
        counts = asyncio.run(seed_reminders(url, GeneratorSettings().source_dir))
        self._say(f"seeded reminders: {counts}")

    def _base_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(prefect_environment(self.data_dir, self.prefect_url))
        # The admin service's pipeline actions start deployments on this Prefect server.
        env.setdefault("ECOM_PREFECT_API_URL", self.prefect_url)
        env["ECOM_DATA_DIR"] = str(self.data_dir)
        env["ECOM_MODE"] = self.settings.mode.value
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _role_env(self, superuser_url: str, owner: Owner) -> dict[str, str]:
        url = self.settings.owner_url(superuser_url, owner)
        return {**self._base_env(), "ECOM_DATABASE_URL": url}

    def _deployable_env(self, superuser_url: str, deployable: Deployable) -> dict[str, str]:
        """A declared deployable's environment: its owner's login, its port, and for the
        gateway where each routed service listens."""
        env = (
            self._role_env(superuser_url, Owner(deployable.owner))
            if deployable.owner
            else self._base_env()
        )
        if deployable.port_variable is not None:
            env[deployable.port_variable] = str(self._port(deployable))
        if deployable.name == PUBLIC:
            for routed in DEPLOYABLES:
                if routed.gateway_url_setting is not None:
                    env[f"ECOM_{routed.gateway_url_setting.upper()}"] = self.urls[routed.name]
        return env

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> Component:
        port, _, health_url = self.endpoints.get(name, (None, None, None))
        return self.supervisor.start(ComponentSpec(name, args, env, port, health_url))

    def _ecom(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "deploy.cli", *args]

    def _wait_healthy(self, child: Component, url: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise StartupError(f"{child.name} exited early; see {child.log}")
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise StartupError(f"{child.name} not healthy at {url} in time; see {child.log}")

    def _run_first_batch(self, superuser_url: str) -> None:
        env = self._role_env(superuser_url, Owner.FLOWS)
        self._say("generating data (history on first start) and running data_pipeline ...")
        # The first two must work for the platform to serve anything; a gold flow that fails
        # (a data contract broken by this data) leaves its marts to the next scheduled run.
        steps = (
            (self._ecom("generate", "--backfill-if-new"), True),
            (self._ecom("pipeline", "run"), True),
            (self._ecom("pipeline", "loyalty-recommendations"), False),
            (self._ecom("pipeline", "trust-transparency"), False),
        )
        for args, required in steps:
            result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
                args, env=env, capture_output=True, text=True, check=False, timeout=300
            )
            command = " ".join(args[2:])
            if result.returncode != 0 and required:
                raise StartupError(f"`{command}` failed:\n{result.stderr[-3000:]}")
            if result.returncode != 0:
                reason = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
                self._say(
                    f"warning: `{command}` failed ({reason[:300]}); its schedule tries again,"
                    " and ops.quality_results shows any broken data contract"
                )
                continue
            self._say(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "done")

    def _print_ready(self) -> None:
        token = issue_token(self.settings.secret("jwt_secret"), Role.ADMIN, "local-admin")
        lines = [
            "",
            "The platform is up.",
            f"  gateway        {self.gateway_url}  (console at /, API under /api, docs at /docs)",
            f"  revenue KPIs   {self.gateway_url}/api/admin/kpis/daily-revenue",
            f"  admin service  {self.admin_url}",
            f"  reminders      {self.reminders_url}  (via the gateway: /api/reminders/...)",
            f"  loyalty        {self.loyalty_url}  (via the gateway: /api/loyalty/...)",
            f"  transparency   {self.transparency_url}"
            "  (via the gateway: /api/transparency/..., /api/trust/...)",
            f"  Prefect UI     http://127.0.0.1:{self.settings.prefect_port}",
            f"  logs           {self.log_dir}",
            "",
            "Admin token (12 h; `ecom token create --role viewer` makes others):",
            f"  {token}",
            "",
            "Try (with TOKEN set to the token above):",
            '  curl -H "Authorization: Bearer $TOKEN" \\',
            f"       {self.gateway_url}/api/admin/kpis/daily-revenue",
            "",
            "Ctrl-C stops everything.",
        ]
        typer.echo("\n".join(lines))

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Bring every component up, or raise StartupError."""
        started = time.monotonic()
        deadline = started + self.up_settings.startup_timeout_s
        self._check_ports()
        superuser_url = self._start_database()
        self.flows_url = self.settings.owner_url(superuser_url, Owner.FLOWS)
        prefect = self._spawn(
            "prefect-server",
            prefect_server_command(self.settings.prefect_port),
            self._base_env(),
        )
        servers = [
            self._spawn(
                deployable.name,
                self._ecom(*deployable.command),
                self._deployable_env(superuser_url, deployable),
            )
            for deployable in of_kind(Kind.HTTP)
        ]
        self._say("waiting for the Prefect server, the services and the gateway ...")
        self._wait_healthy(prefect, f"{self.prefect_url}/health", deadline)
        for server in servers:
            self._wait_healthy(server, str(self.endpoints[server.name][2]), deadline)
        for deployable in of_kind(Kind.WORKER):
            self._spawn(
                deployable.name,
                self._ecom(*deployable.command),
                self._deployable_env(superuser_url, deployable),
            )
        self._run_first_batch(superuser_url)
        self.ready = True
        self._write_state()
        self._say(f"ready in {time.monotonic() - started:.0f} s")

    def watch(self) -> None:
        """Restart children that die until one keeps dying or we are told to stop; say when
        the pipeline stalls."""
        stall_watch = PipelineStallWatch(self.data_dir, self._say)
        while True:
            try:
                self.supervisor.poll()
            except GaveUpError as error:
                raise StartupError(str(error)) from error
            stall_watch.poll(self.flows_url)
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop every child (whole process groups), then PostgreSQL if we started it."""
        self.supervisor.stop()
        if self.server is not None:  # `ecom up` owns the embedded server
            self._say("stopping PostgreSQL ...")
            self.server.stop()
        remove_state(self.data_dir, os.getpid())

    def run(self) -> None:
        """Start, print how to use it, watch; always stop what was started."""

        def on_terminate(_signum: int, _frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        # Explicit for SIGINT too: a shell starting us in the background may have ignored it.
        signal.signal(signal.SIGTERM, on_terminate)
        signal.signal(signal.SIGINT, on_terminate)
        try:
            self.start()
            self._print_ready()
            self.watch()
        except KeyboardInterrupt:
            self._say("stopping ...")
        except StartupError as error:
            typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
            raise typer.Exit(code=1) from error
        finally:
            # A second Ctrl-C (or a SIGTERM from a supervisor) must not abandon PostgreSQL
            # half-way through stopping: from here on we finish what we started.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            self.stop()
            self._say("stopped")
