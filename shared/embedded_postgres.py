"""A real PostgreSQL server for one data directory, for laptops, tests and CI.

The binaries come from the `pgserver` wheel when it is installed, else from `initdb`/`pg_ctl` on
PATH (or Debian's /usr/lib/postgresql/*/bin). The server listens on 127.0.0.1 only and asks every
connection for a password (SCRAM); the superuser's is generated once per data directory.

Run by a user, the cluster lives in the data directory and runs as that user. Run as root
(initdb refuses root), it runs as the `ecompg` system user, and everything that user needs lives
under /var/lib/ecom-postgres: `clusters/<sha256 of the data dir path>/` (the cluster, its log and
a file naming the data dir, 0700 and owned by ecompg) and `binaries/<digest>/` (a readable copy of
the wheel's binaries). The checkout and the data dir may sit in a private (0700) folder: no
permission of any folder the platform does not own is changed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

SUPERUSER = "postgres"
# initdb refuses to run as root; when we are root the cluster belongs to this system user.
SYSTEM_USER = "ecompg"
# Where, as root, the cluster and the binaries live for the system user to reach.
ROOT_STATE_DIR = Path("/var/lib/ecom-postgres")
MARKER_FILE = "data-dir"
PASSWORD_AUTH = "scram-sha-256"  # noqa: S105 - an authentication method, not a secret


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
        try:
            subprocess.run(  # noqa: S603 - fixed argument list
                [useradd, "--system", "--no-create-home", "--shell", "/sbin/nologin", SYSTEM_USER],
                check=True,
                capture_output=True,
            )
        except (OSError, subprocess.CalledProcessError) as error:
            raise EmbeddedPostgresError(
                f"cannot create the system user {SYSTEM_USER!r} the embedded PostgreSQL runs as"
                f" under root ({error}): create it, run as a normal user, or set"
                " ECOM_DATABASE_URL to an existing server"
            ) from error
    return SYSTEM_USER


def _root_dir(path: Path, mode: int) -> Path:
    """A folder of ours under ROOT_STATE_DIR, owned by root with exactly `mode`."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    return path


def _readable_tree(root: Path) -> None:
    """Let every user read (and run what is executable in) a tree we created."""
    for folder, _dirs, files in os.walk(root):
        Path(folder).chmod(0o755)
        for name in files:
            entry = Path(folder) / name
            if entry.is_symlink():
                continue
            mode = entry.stat().st_mode & 0o777
            entry.chmod(mode | 0o444 | (0o111 if mode & 0o100 else 0))


def _reachable_binaries(bin_dir: Path) -> Path:
    """As root: a copy of the `pgserver` wheel's binaries the system user can read and run.

    The wheel sits in a virtual environment that may lie in a private folder; the copy keeps the
    wheel's layout (pgserver/pginstall next to pgserver.libs) so relative library paths hold.
    System-wide binaries (PATH, /usr/lib/postgresql) are used where they are.
    """
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        return bin_dir
    package = Path(spec.origin).parent.resolve()
    if not bin_dir.resolve().is_relative_to(package):
        return bin_dir
    site = package.parent
    # Named by the binaries themselves (the copy keeps their times), not by where the venv is.
    listing = sorted(
        f"{entry.name}:{entry.stat().st_size}:{entry.stat().st_mtime_ns}"
        for entry in bin_dir.iterdir()
    )
    digest = hashlib.sha256("\n".join(listing).encode()).hexdigest()
    binaries = _root_dir(ROOT_STATE_DIR / "binaries", 0o755)
    target = binaries / digest[:24]
    copied = target / bin_dir.resolve().relative_to(site)
    if (target / ".complete").exists():
        return copied
    staging = Path(tempfile.mkdtemp(prefix=f".{digest[:24]}.", dir=binaries))
    try:
        shutil.copytree(package / "pginstall", staging / package.name / "pginstall", symlinks=True)
        libs = site / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, staging / libs.name, symlinks=True)
        (staging / ".complete").touch()
        _readable_tree(staging)
        try:
            staging.rename(target)
        except OSError:  # another process finished the same copy first
            if not (target / ".complete").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return copied


def cluster_dir_for(location: Path) -> Path:
    """As root: the folder under ROOT_STATE_DIR holding the cluster of data dir `location`."""
    return ROOT_STATE_DIR / "clusters" / hashlib.sha256(str(location).encode()).hexdigest()


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL cluster for `pgdata`, listening on 127.0.0.1:`port`, password required.

    `pgdata` names the cluster; as root it is kept under ROOT_STATE_DIR instead (see above).
    """

    pgdata: Path
    port: int
    password: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)

    def __post_init__(self) -> None:
        self.location = self.pgdata.resolve()
        self._source_bin_dir = find_postgres_bin_dir()
        self._bin_dir: Path | None = None
        self.run_as: str | None = _ensure_system_user() if os.geteuid() == 0 else None
        if self.run_as:
            self.cluster_dir = cluster_dir_for(self.location)
            self.pgdata = self.cluster_dir / "pgdata"
        else:
            self.cluster_dir = self.location.parent
            self.pgdata = self.location

    @property
    def bin_dir(self) -> Path:
        """Where this server's binaries are (as root: a copy the system user can reach)."""
        if self._bin_dir is None:
            self._bin_dir = (
                _reachable_binaries(self._source_bin_dir) if self.run_as else self._source_bin_dir
            )
        return self._bin_dir

    @property
    def url(self) -> str:
        """Superuser URL of the maintenance database."""
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/postgres"

    @property
    def log_file(self) -> Path:
        """Where the server writes its log."""
        return self.cluster_dir / "postgres.log"

    def _run(
        self, tool: str, *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - binaries from a known folder, fixed arguments
            [str(self.bin_dir / tool), *args],
            check=check,
            capture_output=True,
            text=True,
            input=stdin,
            cwd="/",
            env={**os.environ, "PGPASSWORD": self.password},
            # As root, drop root's groups too: the server user gets only what is its own.
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

    def _prepare_cluster_dir(self) -> None:
        """The folder holding the cluster and its log: private to the server's user."""
        if not self.run_as:
            from shared.private_files import private_dir

            private_dir(self.cluster_dir)
            return
        _root_dir(ROOT_STATE_DIR, 0o755)
        _root_dir(ROOT_STATE_DIR / "clusters", 0o711)
        self.cluster_dir.mkdir(mode=0o700, exist_ok=True)
        entry = pwd.getpwnam(self.run_as)
        os.chown(self.cluster_dir, entry.pw_uid, entry.pw_gid)
        self.cluster_dir.chmod(0o700)
        marker = self.cluster_dir / MARKER_FILE
        marker.write_text(f"{self.location}\n")
        marker.chmod(0o600)
        old = self.location  # where earlier versions kept a root-run cluster
        if (old / "PG_VERSION").exists() and not self.pgdata.exists():
            try:
                old.rename(self.pgdata)
            except OSError as error:
                raise EmbeddedPostgresError(
                    f"an embedded cluster is at {old}; stop it and move it to {self.pgdata}"
                    f" (or remove it) ({error})"
                ) from error

    def _password_file(self) -> Path:
        """The superuser password in a file only the server's user can read (delete it after)."""
        handle, name = tempfile.mkstemp(prefix=".pw.", dir=self.cluster_dir)
        with os.fdopen(handle, "w") as out:
            out.write(self.password + "\n")
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(name, entry.pw_uid, entry.pw_gid)
        return Path(name)

    def initialise(self) -> None:
        """Create the cluster (UTF-8, password authentication for every connection)."""
        self._prepare_cluster_dir()
        logger.info("initialising PostgreSQL cluster in %s", self.pgdata)
        password_file = self._password_file()
        try:
            result = self._run(
                "initdb",
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                f"--pwfile={password_file}",
                f"--auth-host={PASSWORD_AUTH}",
                f"--auth-local={PASSWORD_AUTH}",
                "--encoding=UTF8",
                "--locale=C",
                check=False,
            )
        finally:
            password_file.unlink(missing_ok=True)
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed:\n{result.stderr.strip()}")

    def _require_passwords(self) -> None:
        """Switch a cluster made by earlier versions (trust authentication) to SCRAM.

        Runs while the server is stopped: single-user mode sets the superuser's password, then
        every `trust` line of pg_hba.conf becomes a password line.
        """
        hba = self.pgdata / "pg_hba.conf"
        lines = hba.read_text().splitlines()
        trusting = [
            i
            for i, line in enumerate(lines)
            if not line.lstrip().startswith("#") and " trust" in line
        ]
        if not trusting:
            return
        logger.info("switching the embedded cluster in %s to password authentication", self.pgdata)
        escaped = self.password.replace("'", "''")
        result = self._run(
            "postgres",
            "--single",
            "-D",
            str(self.pgdata),
            "-c",
            "exit_on_error=true",
            "postgres",
            check=False,
            stdin=f"ALTER ROLE {SUPERUSER} PASSWORD '{escaped}'\n",
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"setting the superuser password failed:\n{result.stderr}")
        for i in trusting:
            lines[i] = lines[i].replace(" trust", f" {PASSWORD_AUTH}")
        hba.write_text("\n".join(lines) + "\n")  # as root, the file keeps its owner

    def start(self, timeout_s: int = 60) -> None:
        """Start the server unless it runs already; initialise the cluster on first use."""
        if self.run_as:
            self._prepare_cluster_dir()
        if not self.is_initialised():
            self.initialise()
        if self.is_running():
            return
        self._require_passwords()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories='' "
            f"-c max_connections=200 -c fsync=on -c password_encryption={PASSWORD_AUTH}"
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

    def discard(self) -> None:
        """Stop the server and delete its cluster (tests and benchmarks; data is lost)."""
        self.stop()
        shutil.rmtree(self.pgdata, ignore_errors=True)
        if self.run_as:
            shutil.rmtree(self.cluster_dir, ignore_errors=True)
