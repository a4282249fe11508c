"""A real PostgreSQL server kept in the data directory, for laptops, tests and CI.

The binaries come from the `pgserver` wheel when it is installed, else from `initdb`/`pg_ctl` on
PATH (or Debian's /usr/lib/postgresql/*/bin). The server listens on 127.0.0.1 only, with trust
authentication, so every local process (services, flows, Prefect workers) reaches it over TCP.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

SUPERUSER = "postgres"
# initdb refuses to run as root; when we are root the cluster belongs to this system user.
SYSTEM_USER = "ecompg"


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be found, initialised or started."""


def find_postgres_bin_dir() -> Path:
    """Locate a directory holding initdb, pg_ctl and postgres."""
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        candidate = Path(spec.origin).parent / "pginstall" / "bin"
        if (candidate / "pg_ctl").exists():
            return candidate
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    if debian:
        return debian[0].parent
    raise EmbeddedPostgresError(
        "No PostgreSQL binaries found. Install the project (it pulls the `pgserver` wheel, "
        "available for CPython 3.9-3.12), put initdb/pg_ctl on PATH, or set ECOM_DATABASE_URL "
        "to an existing server."
    )


def _ensure_system_user() -> str:
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        subprocess.run(  # noqa: S603 - fixed argument list
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
    return SYSTEM_USER


def _make_reachable(path: Path, user: str) -> None:
    """Let the server's system user reach `path`: traverse every parent, own the folder."""
    entry = pwd.getpwnam(user)
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    path.chmod(0o700)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL cluster in `pgdata`, listening on 127.0.0.1:`port`."""

    pgdata: Path
    port: int

    def __post_init__(self) -> None:
        self.pgdata = self.pgdata.resolve()
        self.bin_dir = find_postgres_bin_dir()
        self.run_as: str | None = _ensure_system_user() if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        """Superuser URL of the maintenance database."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    @property
    def log_file(self) -> Path:
        """Where the server writes its log."""
        return self.pgdata.parent / "postgres.log"

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - binaries from a known folder, fixed arguments
            [str(self.bin_dir / tool), *args],
            check=check,
            capture_output=True,
            text=True,
            cwd="/",
            # As root, drop root's groups too: a 0701 root-owned parent denies group root.
            user=self.run_as,
            group=self.run_as,
            extra_groups=[] if self.run_as else None,
        )

    def is_initialised(self) -> bool:
        """Whether `pgdata` holds a cluster."""
        return (self.pgdata / "PG_VERSION").exists()

    def is_running(self) -> bool:
        """Whether a server is running on `pgdata`."""
        if not self.is_initialised():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.pgdata), check=False).returncode == 0

    def initialise(self) -> None:
        """Create the cluster (UTF-8, trust auth for local connections only)."""
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            _make_reachable(self.pgdata, self.run_as)
            self.log_file.touch()
            _make_reachable(self.log_file, self.run_as)
            self.log_file.chmod(0o644)
        logger.info("initialising PostgreSQL cluster in %s", self.pgdata)
        result = self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            check=False,
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed:\n{result.stderr.strip()}")

    def start(self, timeout_s: int = 60) -> None:
        """Start the server unless it runs already; initialise the cluster on first use."""
        if not self.is_initialised():
            self.initialise()
        if self.is_running():
            return
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories='' "
            "-c max_connections=200 -c fsync=on"
        )
        result = self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            str(timeout_s),
            "-o",
            options,
            check=False,
        )
        if result.returncode != 0:
            tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise EmbeddedPostgresError(
                f"PostgreSQL did not start on 127.0.0.1:{self.port} (is the port taken? set "
                f"ECOM_EMBEDDED_PG_PORT). pg_ctl said:\n{result.stderr.strip()}\n{tail}"
            )
        self._wait_until_accepting(timeout_s)

    def _wait_until_accepting(self, timeout_s: int) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ready = self._run(
                "pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-q", check=False
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise EmbeddedPostgresError(f"PostgreSQL on port {self.port} is not accepting connections")

    def stop(self) -> None:
        """Stop the server (fast shutdown) if it runs."""
        if self.is_running():
            self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w")
