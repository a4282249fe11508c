"""The embedded server asks every connection for a password, and runs from a private checkout.

As root the server runs as the `ecompg` system user from /var/lib/ecom-postgres; a clone under a
0700 folder (a home directory, `mktemp -d`) must work without any folder's mode changing.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import asyncpg
import pytest

from shared.embedded_postgres import ROOT_STATE_DIR, EmbeddedPostgres, cluster_dir_for
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
PGSERVER = importlib.util.find_spec("pgserver")
needs_pgserver = pytest.mark.skipif(PGSERVER is None, reason="the pgserver wheel is not installed")


async def _login(port: int, password: str | None) -> object:
    connection = await asyncpg.connect(
        host="127.0.0.1", port=port, user="postgres", password=password, database="postgres"
    )
    try:
        return await connection.fetchval("SELECT current_user")
    finally:
        await connection.close()


def login(port: int, password: str | None) -> object:
    return asyncio.run(_login(port, password))


def trust_lines(server: EmbeddedPostgres) -> list[str]:
    hba = (server.pgdata / "pg_hba.conf").read_text().splitlines()
    return [line for line in hba if not line.startswith("#") and " trust" in line]


def test_no_local_connection_without_the_password(tmp_path: Path) -> None:
    port = free_port()
    server = EmbeddedPostgres(tmp_path / "data" / "postgres", port, "the-password")
    server.start()
    try:
        assert login(port, "the-password") == "postgres"
        for wrong in (None, "", "guess"):
            with pytest.raises(
                (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)
            ):
                login(port, wrong)
        assert trust_lines(server) == []
        # A cluster of an earlier version (trust for everyone) is switched on its next start.
        server.stop()
        hba = server.pgdata / "pg_hba.conf"
        hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))
        assert trust_lines(server)
        server.start()
        assert trust_lines(server) == []
        assert login(port, "the-password") == "postgres"
        with pytest.raises(asyncpg.InvalidPasswordError):
            login(port, "guess")
    finally:
        server.discard()


def test_cluster_and_log_are_private_to_the_server_user(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "data" / "postgres", free_port())
    server.start()
    try:
        assert stat.S_IMODE(server.pgdata.stat().st_mode) == 0o700
        assert stat.S_IMODE(server.log_file.stat().st_mode) & 0o077 == 0
        if os.geteuid() == 0:
            assert server.cluster_dir == cluster_dir_for(tmp_path / "data" / "postgres")
            assert server.cluster_dir.owner() == "ecompg"
            assert stat.S_IMODE(server.cluster_dir.stat().st_mode) == 0o700
            assert (server.cluster_dir / "data-dir").read_text().strip() == str(
                tmp_path / "data" / "postgres"
            )
    finally:
        server.discard()
    assert not server.pgdata.exists()


START_FROM_CHECKOUT = """
import asyncio, sys
from pathlib import Path
import asyncpg
import pgserver
from shared.embedded_postgres import EmbeddedPostgres

server = EmbeddedPostgres(Path(sys.argv[1]), int(sys.argv[2]), "pw")
server.start()
try:
    async def where():
        c = await asyncpg.connect(server.url)
        try:
            return await c.fetchval("SELECT current_setting('data_directory')")
        finally:
            await c.close()
    print(pgserver.__file__)
    print(asyncio.run(where()))
finally:
    server.discard()
"""


@needs_pgserver
@pytest.mark.skipif(os.geteuid() != 0, reason="the private-folder problem exists only as root")
def test_a_checkout_under_a_0700_folder_works_as_root_and_keeps_its_mode() -> None:
    assert PGSERVER is not None
    assert PGSERVER.origin is not None
    private = Path(tempfile.mkdtemp(prefix="ecom-private-"))  # 0700, as `mktemp -d`
    try:
        package = Path(PGSERVER.origin).parent
        site = private / "checkout" / ".venv" / "site-packages"
        shutil.copytree(package, site / "pgserver", symlinks=True)
        libs = package.parent / "pgserver.libs"
        if libs.is_dir():
            shutil.copytree(libs, site / "pgserver.libs", symlinks=True)
        shutil.copytree(REPO / "shared", private / "checkout" / "shared")
        data = private / "checkout" / ".ecom" / "postgres"
        modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (private, *private.parents)}
        result = subprocess.run(
            [sys.executable, "-c", START_FROM_CHECKOUT, str(data), str(free_port())],
            env={**os.environ, "PYTHONPATH": f"{site}:{private / 'checkout'}"},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            cwd=private / "checkout",
        )
        assert result.returncode == 0, result.stderr
        loaded_from, data_directory = result.stdout.split()
        assert loaded_from.startswith(str(private)), "the wheel came from the private checkout"
        assert data_directory.startswith(str(ROOT_STATE_DIR / "clusters")), data_directory
        assert {p: stat.S_IMODE(p.stat().st_mode) for p in modes} == modes
        assert modes[private] == 0o700
    finally:
        shutil.rmtree(private, ignore_errors=True)
