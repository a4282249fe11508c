"""The services and the gateway on real sockets, on this test's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from services.admin.app import create_app as create_admin
from services.admin.settings import AdminSettings
from services.loyalty.app import create_app as create_loyalty
from services.loyalty.settings import LoyaltySettings
from services.reminders.app import create_app as create_reminders
from services.reminders.settings import ReminderSettings
from services.transparency.app import create_app as create_transparency
from services.transparency.settings import TransparencySettings
from shared.identity import Role, issue_token
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.servers import ThreadedServers

JWT_SECRET = "e2e-jwt-secret-long-enough-for-hs256-0000"
INTERNAL_SECRET = "e2e-internal-secret-long-enough-for-hs256"


def bearer(role: Role, sub: str) -> dict[str, str]:
    """The Authorization header of a caller with `role`."""
    return {"Authorization": f"Bearer {issue_token(JWT_SECRET, role, sub)}"}


# Per service role: its app factory and settings class.
SERVICES: dict[Owner, tuple[Callable[..., Any], Callable[..., Any]]] = {
    Owner.ADMIN: (create_admin, AdminSettings),
    Owner.LOYALTY: (create_loyalty, LoyaltySettings),
    Owner.TRANSPARENCY: (create_transparency, TransparencySettings),
    Owner.REMINDERS: (create_reminders, ReminderSettings),
}


@pytest.fixture
def gateway_url(database: TestDatabase, tmp_path: Path) -> Iterator[str]:
    """The gateway in front of every service, each connecting as its own role."""
    servers = ThreadedServers()
    urls: dict[str, Any] = {}
    for owner, (create_app, settings_class) in SERVICES.items():
        settings = settings_class(
            _env_file=None,
            data_dir=tmp_path,
            internal_secret=SecretStr(INTERNAL_SECRET),
            database_url=database.role_url(owner),
        )
        urls[f"{owner.value}_service_url"] = servers.start(create_app(settings))
    gateway = create_gateway(
        GatewaySettings(
            _env_file=None,
            data_dir=tmp_path,
            jwt_secret=SecretStr(JWT_SECRET),
            internal_secret=SecretStr(INTERNAL_SECRET),
            # Suites send hundreds of requests a second from one address: never throttle them.
            rate_limit_per_s=100_000,
            **urls,
        )
    )
    try:
        yield servers.start(gateway)
    finally:
        servers.stop_all()
