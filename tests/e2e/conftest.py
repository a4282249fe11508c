"""The services and the gateway on real sockets, on this test's database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from services.admin.app import create_app as create_admin
from services.admin.settings import AdminSettings
from services.reminders.app import create_app as create_reminders
from services.reminders.settings import ReminderSettings
from shared.identity import Role, issue_token
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.servers import ThreadedServers

JWT_SECRET = "e2e-jwt-secret-long-enough-for-hs256-0000"
INTERNAL_SECRET = "e2e-internal-secret-long-enough-for-hs256"


def bearer(role: Role, sub: str) -> dict[str, str]:
    """The Authorization header of a caller with `role`."""
    return {"Authorization": f"Bearer {issue_token(JWT_SECRET, role, sub)}"}


@pytest.fixture
def gateway_url(database: TestDatabase, tmp_path: Path) -> Iterator[str]:
    """The gateway in front of the admin and reminders services, each as its own role."""
    servers = ThreadedServers()
    common = {"_env_file": None, "data_dir": tmp_path, "internal_secret": INTERNAL_SECRET}
    admin = create_admin(AdminSettings(**common, database_url=database.role_url(Owner.ADMIN)))  # type: ignore[arg-type]
    reminders = create_reminders(
        ReminderSettings(**common, database_url=database.role_url(Owner.REMINDERS))  # type: ignore[arg-type]
    )
    admin_url, reminders_url = servers.start(admin), servers.start(reminders)
    gateway = create_gateway(
        GatewaySettings(
            _env_file=None,
            data_dir=tmp_path,
            jwt_secret=SecretStr(JWT_SECRET),
            internal_secret=SecretStr(INTERNAL_SECRET),
            admin_service_url=admin_url,
            reminders_service_url=reminders_url,
        )
    )
    try:
        yield servers.start(gateway)
    finally:
        servers.stop_all()
