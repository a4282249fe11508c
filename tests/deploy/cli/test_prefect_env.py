"""Prefect's temporary server (a one-off flow with no Prefect server) keeps off the platform's
ports."""

from __future__ import annotations

import re
from pathlib import Path

from deploy.cli.prefect_env import port_outside
from shared.owners import Owner
from tests.conftest import TestDatabase, free_port
from tests.deploy.cli.test_commands import ecom, ecom_env

# Where Prefect alone would put its temporary server: the platform's default ports are in it.
PREFECT_RANDOM_PORTS = range(8000, 9000)


def test_a_reserved_port_is_never_chosen_whatever_the_kernel_offers() -> None:
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    # Everything the kernel may hand out is reserved except its top 2000 ports.
    reserved = set(range(low, high - 2000))

    chosen = [port_outside(reserved) for _ in range(20)]

    assert all(high - 2000 <= port <= high for port in chosen), chosen


async def test_one_off_flow_starts_the_temporary_server_off_the_platform_ports(
    database: TestDatabase, tmp_path: Path
) -> None:
    platform = {
        "ECOM_GATEWAY_PORT": str(free_port()),
        "ECOM_ADMIN_PORT": str(free_port()),
        "ECOM_LOYALTY_PORT": str(free_port()),
        "ECOM_TRANSPARENCY_PORT": str(free_port()),
        "ECOM_REMINDERS_PORT": str(free_port()),
        "ECOM_PREFECT_PORT": str(free_port()),
    }
    env = ecom_env(tmp_path, ECOM_DATABASE_URL=database.role_url(Owner.FLOWS), **platform)

    result = ecom("pipeline", "dispatch-notifications", env=env)

    assert result.returncode == 0, result.stderr
    assert "notifications: 0 sent" in result.stdout
    used = re.search(r"temporary Prefect server at http://127\.0\.0\.1:(\d+)/api", result.stderr)
    assert used, result.stderr
    port = int(used[1])
    assert str(port) not in platform.values()
    assert port not in PREFECT_RANDOM_PORTS, "where a default platform (8000-8004) listens"
