"""API keys end to end: `ecom apikey` creates, lists and revokes; a running gateway follows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from shared.problems import PROBLEM_MEDIA_TYPE
from tests.gateway.identity_fixtures import identity_gateway_settings, whoami_upstream
from tests.servers import ThreadedServers

KEY_PATTERN = re.compile(r"ecom_([0-9a-f]{12})_[\w-]{43}")


def ecom(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`ecom ARGS` as an operator runs it, on the data directory the gateway reads."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECOM_", "PREFECT_"))}
    env.update({"ECOM_DATA_DIR": str(data_dir), "ECOM_LOG_LEVEL": "WARNING"})
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("apikeys")


@pytest.fixture(scope="module")
def gateway_url(data_dir: Path) -> Iterator[str]:
    servers = ThreadedServers()
    upstream = servers.start(whoami_upstream())
    yield servers.start(create_app(identity_gateway_settings(data_dir, upstream)))
    servers.stop_all()


def whoami(gateway_url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{gateway_url}/api/admin/whoami", headers=headers, timeout=30)


def create_key(data_dir: Path, *args: str) -> tuple[str, str]:
    created = ecom(data_dir, "apikey", "create", *args)
    assert created.returncode == 0, created.stderr
    match = KEY_PATTERN.fullmatch(created.stdout.strip())
    assert match, f"stdout is the key alone: {created.stdout!r}"
    return match.group(0), match.group(1)


def test_a_key_is_created_listed_used_and_revoked_without_a_gateway_restart(
    gateway_url: str, data_dir: Path
) -> None:
    key, key_id = create_key(data_dir, "--role", "viewer", "--name", "nightly report")

    # Both header forms authenticate as the key's role; the service never sees the key.
    for headers in ({"X-API-Key": key}, {"Authorization": f"ApiKey {key}"}):
        served = whoami(gateway_url, headers)
        assert served.status_code == 200, served.text
        assert served.json()["principal"] == {"sub": f"apikey:{key_id}", "role": "viewer"}
        assert "x-api-key" not in served.json()["headers"]
        assert "authorization" not in served.json()["headers"]

    listed = ecom(data_dir, "apikey", "list")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith(key_id))
    assert row.split()[1:3] == ["viewer", "active"]
    assert row.endswith("nightly report")
    assert key.rsplit("_", 1)[1] not in listed.stdout
    stored = (data_dir / "api-keys.json").read_text()
    assert key not in stored
    assert (data_dir / "api-keys.json").stat().st_mode & 0o077 == 0

    revoked = ecom(data_dir, "apikey", "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr

    refused = whoami(gateway_url, {"X-API-Key": key})
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    relisted = ecom(data_dir, "apikey", "list").stdout
    assert next(line for line in relisted.splitlines() if line.startswith(key_id)).split()[2] == (
        "revoked"
    )


def test_revoking_one_key_leaves_the_others_working(gateway_url: str, data_dir: Path) -> None:
    kept, _ = create_key(data_dir, "--role", "editor")
    dropped, dropped_id = create_key(data_dir, "--role", "admin")
    assert ecom(data_dir, "apikey", "revoke", dropped_id).returncode == 0

    assert whoami(gateway_url, {"X-API-Key": dropped}).status_code == 401
    assert whoami(gateway_url, {"X-API-Key": kept}).json()["principal"]["role"] == "editor"


def test_a_customer_key_needs_the_customer_it_acts_for(gateway_url: str, data_dir: Path) -> None:
    refused = ecom(data_dir, "apikey", "create", "--role", "customer")
    assert refused.returncode == 1
    assert "--sub" in refused.stderr

    key, _ = create_key(data_dir, "--role", "customer", "--sub", "C0000042")
    seen = whoami(gateway_url, {"X-API-Key": key}).json()["principal"]
    assert seen == {"sub": "C0000042", "role": "customer"}


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "ecom_000000000000_" + "A" * 43},
        {"Authorization": "ApiKey not-a-key"},
        {"X-API-Key": "anything", "Authorization": "Bearer also-anything"},
    ],
    ids=["unknown", "malformed", "two-credentials"],
)
def test_unknown_keys_and_mixed_credentials_are_refused(
    gateway_url: str, headers: dict[str, str]
) -> None:
    response = whoami(gateway_url, headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)


def test_revoking_an_unknown_id_says_so(data_dir: Path) -> None:
    result = ecom(data_dir, "apikey", "revoke", "nope")
    assert result.returncode == 1
    assert "No API key has the id 'nope'" in result.stderr
