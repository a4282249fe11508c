"""Run a command that dies with the process that started it (Linux), in its own group.

`python -m deploy.cli.die_with_parent PARENT_PID COMMAND...` asks the kernel to send SIGTERM
when its parent dies (PR_SET_PDEATHSIG survives `exec`), checks that the parent is still the one
given (it may have died already), then execs COMMAND. This replaces a `preexec_fn`, which is
unsafe once the starting process runs threads (as `ecom up` does: one log reader per child).
Elsewhere than Linux the command just runs; `ecom up` still stops it on the way out.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from contextlib import suppress

PR_SET_PDEATHSIG = 1


def wrap(command: list[str]) -> list[str]:
    """`command`, run so that it dies with this process."""
    return [sys.executable, "-m", "deploy.cli.die_with_parent", str(os.getpid()), *command]


def _ask_for_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def main(argv: list[str]) -> None:
    """Entry point: PARENT_PID COMMAND..."""
    if len(argv) < 2:
        sys.stderr.write("usage: python -m deploy.cli.die_with_parent PARENT_PID COMMAND...\n")
        raise SystemExit(2)
    parent, command = int(argv[0]), argv[1:]
    _ask_for_death_signal()
    if os.getppid() != parent:  # the parent died before the request took effect
        raise SystemExit(1)
    os.execvp(command[0], command)  # noqa: S606 - the caller's own command line


if __name__ == "__main__":
    main(sys.argv[1:])
