"""`ecom up`'s supervisor with real child processes: restart, back-off, give up, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deploy.cli.stack_state import pid_alive
from deploy.cli.supervisor import ComponentSpec, GaveUpError, Supervisor, describe_exit

SLEEPER = [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(120)"]
CRASHER = [sys.executable, "-c", "import sys; print('boom', flush=True); sys.exit(3)"]


def supervisor(tmp_path: Path, said: list[str], **overrides: object) -> Supervisor:
    options: dict[str, object] = {
        "log_dir": tmp_path / "logs",
        "say": said.append,
        "restart_max": 5,
        "restart_window_s": 300.0,
        "log_max_bytes": 100_000,
        "log_backups": 2,
        "json_logs": False,
        "backoff_base_s": 0.05,
        **overrides,
    }
    return Supervisor(**options)  # type: ignore[arg-type]


def poll_until(sup: Supervisor, condition: object, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        sup.poll()
        time.sleep(0.02)


def test_a_killed_component_is_restarted_while_the_others_keep_running(tmp_path: Path) -> None:
    said: list[str] = []
    sup = supervisor(tmp_path, said, backoff_base_s=0.3)
    try:
        victim = sup.start(ComponentSpec("admin", SLEEPER, dict(os.environ)))
        bystander = sup.start(ComponentSpec("gateway", SLEEPER, dict(os.environ)))
        first_pid, bystander_pid = victim.process.pid, bystander.process.pid
        admin_log = tmp_path / "logs" / "admin.log"
        poll_until(sup, lambda: admin_log.exists() and "ready" in admin_log.read_text())
        os.kill(first_pid, signal.SIGKILL)
        poll_until(sup, lambda: victim.restart_at is not None)
        # During the back-off nothing is started yet.
        assert victim.process.pid == first_pid
        poll_until(sup, lambda: victim.process.pid != first_pid)
        assert victim.process.poll() is None, "the new admin process runs"
        assert bystander.process.pid == bystander_pid
        assert bystander.process.poll() is None
        assert said == [
            "admin stopped (killed by SIGKILL); restarting in 0.3 s (restart 1 of at most 5"
            " within 300 s); the other components keep running."
        ]
        poll_until(sup, lambda: (tmp_path / "logs" / "admin.log").read_text().count("ready\n") == 2)
        log = (tmp_path / "logs" / "admin.log").read_text()
        assert "admin stopped (killed by SIGKILL)" in log
        assert f"started again (pid {victim.process.pid})" in log
    finally:
        sup.stop()
    assert not pid_alive(victim.process.pid)
    assert not pid_alive(bystander_pid)


def test_back_off_doubles_and_a_crash_loop_is_given_up_on(tmp_path: Path) -> None:
    said: list[str] = []
    sup = supervisor(tmp_path, said, restart_max=3, backoff_base_s=0.05)
    try:
        sup.start(ComponentSpec("loyalty", CRASHER, dict(os.environ)))
        with pytest.raises(GaveUpError) as gave_up:
            poll_until(sup, lambda: False, timeout=20)
    finally:
        sup.stop()
    delays = [line.split("restarting in ")[1].split(" s")[0] for line in said]
    assert delays == ["0.05", "0.1", "0.2"]
    assert "loyalty stopped (exit 3) and it was restarted 3 times within 300 s" in str(
        gave_up.value
    )
    assert "giving up" in str(gave_up.value)
    assert str(tmp_path / "logs" / "loyalty.log") in str(gave_up.value)
    assert (tmp_path / "logs" / "loyalty.log").read_text().count("boom") == 4


def test_back_off_is_capped(tmp_path: Path) -> None:
    said: list[str] = []
    sup = supervisor(tmp_path, said, restart_max=10, backoff_base_s=1.0, backoff_max_s=30.0)
    clock = [0.0]
    sup.clock = lambda: clock[0]
    try:
        component = sup.start(ComponentSpec("flows", CRASHER, dict(os.environ)))
        for _ in range(7):
            component.process.wait()
            sup.poll()  # schedules the restart
            clock[0] = component.restart_at or 0.0
            sup.poll()  # restarts
    finally:
        sup.stop()
    delays = [float(line.split("restarting in ")[1].split(" s")[0]) for line in said]
    assert delays == [1, 2, 4, 8, 16, 30, 30]


def test_restarts_outside_the_window_do_not_count(tmp_path: Path) -> None:
    said: list[str] = []
    sup = supervisor(tmp_path, said, restart_max=2, restart_window_s=100.0)
    clock = [0.0]
    sup.clock = lambda: clock[0]
    try:
        component = sup.start(ComponentSpec("reminders", CRASHER, dict(os.environ)))
        for _ in range(6):  # one death every 60 s: never 2 restarts within 100 s before this
            component.process.wait()
            sup.poll()
            clock[0] = (component.restart_at or 0.0) + 60
            sup.poll()
        component.process.wait()
        sup.poll()
        clock[0] = component.restart_at or 0.0
        sup.poll()
        component.process.wait()
        with pytest.raises(GaveUpError):  # the second death within the window
            sup.poll()
    finally:
        sup.stop()


def test_restarts_off_gives_up_at_the_first_death(tmp_path: Path) -> None:
    sup = supervisor(tmp_path, [], restart_max=0)
    try:
        sup.start(ComponentSpec("admin", CRASHER, dict(os.environ)))
        with pytest.raises(GaveUpError, match=r"restarts are off \(ECOM_RESTART_MAX=0\)"):
            poll_until(sup, lambda: False)
    finally:
        sup.stop()


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    parent = (
        "import subprocess, sys, time;"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']);"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(120)"
    )
    sup = supervisor(tmp_path, [])
    sup.start(ComponentSpec("prefect-server", [sys.executable, "-c", parent], dict(os.environ)))
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())
    sup.stop()
    deadline = time.monotonic() + 5
    while pid_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(grandchild)


def test_children_die_with_a_supervisor_that_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from deploy.cli.supervisor import ComponentSpec, Supervisor\n"
        f"sup = Supervisor(log_dir=Path({str(tmp_path / 'logs')!r}), say=print, restart_max=1,"
        " restart_window_s=60, log_max_bytes=10000, log_backups=1, json_logs=False)\n"
        "c = sup.start(ComponentSpec('admin', [sys.executable, '-c',"
        " 'import time; time.sleep(120)'], dict(os.environ)))\n"
        f"Path({str(pid_file)!r}).write_text(str(c.process.pid))\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 15
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline
            assert parent.poll() is None
            time.sleep(0.05)
        child = int(pid_file.read_text())
        assert pid_alive(child)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 5
    while pid_alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(child), "the child outlived `ecom up`"


def test_describe_exit() -> None:
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(1) == "exit 1"
