"""`ecom up` as a supervisor: a component that dies is restarted, the others keep serving.

A dead component is started again after a back-off (1, 2, 4 ... at most 30 s), while the rest
go on. One that dies more than ECOM_RESTART_MAX times within ECOM_RESTART_WINDOW_S is given up
on: `ecom up` says so in one line, stops everything and exits 1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from deploy.cli.bounded_log import BoundedLog
from deploy.cli.die_with_parent import wrap

STOP_GRACE_S = 15


@dataclass(frozen=True)
class ComponentSpec:
    """How to run one component of the stack."""

    name: str
    command: list[str]
    env: dict[str, str]
    port: int | None = None
    health_url: str | None = None


@dataclass
class Component:
    """A supervised component: its current process, log and restart history."""

    spec: ComponentSpec
    process: subprocess.Popen[bytes]
    log: Path
    restarts: deque[float] = field(default_factory=deque)  # when each recent restart began
    restart_at: float | None = None  # set while waiting out the back-off

    @property
    def name(self) -> str:
        """The component's name."""
        return self.spec.name


class GaveUpError(RuntimeError):
    """A component kept dying; the message says which, how often and where its log is."""


def describe_exit(returncode: int) -> str:
    """`exit 3`, or `killed by SIGKILL` for a signal."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit {returncode}"


class Supervisor:
    """Starts components, restarts those that die, stops them all."""

    def __init__(
        self,
        *,
        log_dir: Path,
        say: Callable[[str], None],
        restart_max: int,
        restart_window_s: float,
        log_max_bytes: int,
        log_backups: int,
        json_logs: bool,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 30.0,
        on_change: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log_dir = log_dir
        self.say = say
        self.restart_max = restart_max
        self.restart_window_s = restart_window_s
        self.log_max_bytes = log_max_bytes
        self.log_backups = log_backups
        self.json_logs = json_logs
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.on_change = on_change
        self.clock = clock
        self.components: list[Component] = []
        self._logs: dict[str, BoundedLog] = {}
        self._readers: list[threading.Thread] = []

    # -- starting ------------------------------------------------------------------------------

    def _log(self, name: str) -> BoundedLog:
        if name not in self._logs:
            self._logs[name] = BoundedLog(
                self.log_dir / f"{name}.log",
                max_bytes=self.log_max_bytes,
                backups=self.log_backups,
                json_lines=self.json_logs,
                logger=name,
            )
        return self._logs[name]

    def _launch(self, spec: ComponentSpec) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            wrap(spec.command),
            env=spec.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            process_group=0,  # its own group: stopping it stops what it started
        )
        assert process.stdout is not None  # stdout=PIPE above
        self._readers.append(self._log(spec.name).copy_from(process.stdout))
        return process

    def start(self, spec: ComponentSpec) -> Component:
        """Start `spec` and supervise it from now on."""
        component = Component(spec, self._launch(spec), self.log_dir / f"{spec.name}.log")
        self.components.append(component)
        self._changed()
        return component

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # -- watching ------------------------------------------------------------------------------

    def poll(self) -> None:
        """Restart what died (after its back-off); raise GaveUpError for one that keeps dying."""
        now = self.clock()
        for component in self.components:
            if component.restart_at is not None:
                if now >= component.restart_at:
                    self._restart(component)
                continue
            returncode = component.process.poll()
            if returncode is not None:
                self._schedule_restart(component, returncode, now)

    def _schedule_restart(self, component: Component, returncode: int, now: float) -> None:
        reason = describe_exit(returncode)
        recent = component.restarts
        while recent and now - recent[0] > self.restart_window_s:
            recent.popleft()
        if len(recent) >= self.restart_max:
            if self.restart_max == 0:
                why = "restarts are off (ECOM_RESTART_MAX=0)"
            else:
                why = (
                    f"it was restarted {len(recent)} times within {self.restart_window_s:g} s"
                    " (ECOM_RESTART_MAX, ECOM_RESTART_WINDOW_S)"
                )
            message = f"{component.name} stopped ({reason}) and {why}; giving up"
            self._log(component.name).note(message)
            raise GaveUpError(f"{message}; see {component.log}")
        delay = min(self.backoff_base_s * 2 ** len(recent), self.backoff_max_s)
        recent.append(now)
        component.restart_at = now + delay
        message = (
            f"{component.name} stopped ({reason}); restarting in {delay:g} s (restart"
            f" {len(recent)} of at most {self.restart_max} within {self.restart_window_s:g} s);"
            " the other components keep running."
        )
        self._log(component.name).note(message)
        self.say(message)

    def _restart(self, component: Component) -> None:
        component.restart_at = None
        component.process = self._launch(component.spec)
        self._log(component.name).note(
            f"{component.name} started again (pid {component.process.pid})"
        )
        self._changed()

    # -- stopping ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop every component (whole process groups, newest first), then close the logs."""
        running = [c for c in reversed(self.components) if c.process.poll() is None]
        for component in running:
            with suppress(ProcessLookupError):
                os.killpg(component.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for component in reversed(self.components):
            try:
                component.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(component.process.pid, signal.SIGKILL)
                component.process.wait()
            # The group may outlive its leader (e.g. Prefect's worker processes).
            with suppress(ProcessLookupError):
                os.killpg(component.process.pid, signal.SIGKILL)
        for reader in self._readers:  # the last lines a stopping process wrote
            reader.join(timeout=2)
        for log in self._logs.values():
            log.close()
