"""The database goes away under running services and comes back: 503s, readiness, recovery.

Every service reaches PostgreSQL through a relay the test severs: services answer 503 with
`Retry-After` (relayed by the gateway), the gateway's `/readyz` reports each service not ready,
and once the relay is restored both recover without a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from shared.database import with_login
from shared.identity import Role
from shared.owners import OWNERSHIP
from tests.conftest import TEST_PASSWORDS, TestDatabase
from tests.e2e.conftest import INTERNAL_SECRET, JWT_SECRET, SERVICES, bearer
from tests.e2e.relay import SeverableRelay
from tests.servers import ThreadedServers

# Names the gateway routes; "trust" is served by the transparency service.
ROUTED_NAMES = ("admin", "loyalty", "reminders", "transparency", "trust")
# One cheap read per service that needs the database.
READS = {
    "admin": "/api/admin/products",
    "loyalty": "/api/loyalty/segments",
    "reminders": "/api/reminders/configurations",
    "transparency": "/api/transparency/trust/scores",
}


@pytest.fixture
def relay(database: TestDatabase) -> Iterator[SeverableRelay]:
    server = urlsplit(database.superuser_url)
    relay = SeverableRelay(server.hostname or "127.0.0.1", server.port or 5432)
    yield relay
    relay.sever()


@pytest.fixture
def gateway_url(database: TestDatabase, relay: SeverableRelay, tmp_path: Path) -> Iterator[str]:
    servers = ThreadedServers()
    urls: dict[str, Any] = {}
    for owner, (create_app, settings_class) in SERVICES.items():
        url = with_login(
            f"postgresql://127.0.0.1:{relay.port}",
            OWNERSHIP[owner].role,
            TEST_PASSWORDS[owner],
            database.name,
        )
        settings = settings_class(
            _env_file=None,
            data_dir=tmp_path,
            internal_secret=SecretStr(INTERNAL_SECRET),
            database_url=url,
        )
        urls[f"{owner.value}_service_url"] = servers.start(create_app(settings))
    gateway = create_gateway(
        GatewaySettings(
            _env_file=None,
            data_dir=tmp_path,
            jwt_secret=SecretStr(JWT_SECRET),
            internal_secret=SecretStr(INTERNAL_SECRET),
            **urls,
        )
    )
    try:
        yield servers.start(gateway)
    finally:
        servers.stop_all()


def _eventually(check: Callable[[], bool], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)


def test_a_database_outage_is_503_and_not_ready_then_recovers(
    gateway_url: str, relay: SeverableRelay
) -> None:
    with httpx.Client(
        base_url=gateway_url, headers=bearer(Role.ADMIN, "ops"), timeout=30
    ) as client:
        for path in READS.values():
            assert client.get(path).status_code == 200, path
        assert client.get("/readyz").status_code == 200

        relay.sever()

        for service, path in READS.items():
            response = client.get(path)
            assert response.status_code == 503, (service, response.text)
            assert response.headers["retry-after"] == "5"
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["detail"] == "The database is unavailable; try again shortly."
            assert str(relay.port) not in response.text
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["retry-after"] == "5"
        assert ready.json()["errors"] == [
            {"service": name, "status": "not ready"} for name in ROUTED_NAMES
        ]

        relay.restore()

        _eventually(lambda: client.get("/readyz").status_code == 200)
        assert client.get("/readyz").json()["services"] == dict.fromkeys(ROUTED_NAMES, "ready")
        for path in READS.values():
            assert client.get(path).status_code == 200, path
