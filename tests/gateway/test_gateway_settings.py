"""GatewaySettings: upstream routing table and secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from gateway.settings import GatewaySettings
from shared.settings import RuntimeMode


def test_trust_prefix_routes_to_the_transparency_service(tmp_path: Path) -> None:
    settings = GatewaySettings(
        _env_file=None,
        mode=RuntimeMode.LOCAL,
        data_dir=tmp_path,
        jwt_secret=SecretStr("j"),
        internal_secret=SecretStr("i"),
        transparency_service_url="http://transparency:8003",
    )

    upstreams = settings.upstreams()

    assert set(upstreams) == {"admin", "loyalty", "transparency", "trust", "reminders"}
    assert upstreams["trust"] == upstreams["transparency"] == "http://transparency:8003"
    assert upstreams["admin"] == "http://127.0.0.1:8001"


def test_local_mode_generates_and_keeps_both_secrets(tmp_path: Path) -> None:
    first = GatewaySettings(_env_file=None, mode=RuntimeMode.LOCAL, data_dir=tmp_path)
    second = GatewaySettings(_env_file=None, mode=RuntimeMode.LOCAL, data_dir=tmp_path)

    assert first.secret("jwt_secret") == second.secret("jwt_secret")
    assert first.secret("internal_secret") == second.secret("internal_secret")
    assert first.secret("jwt_secret") != first.secret("internal_secret")


def test_other_modes_require_explicit_secrets(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="ECOM_JWT_SECRET"):
        GatewaySettings(_env_file=None, mode=RuntimeMode.COMPOSE, data_dir=tmp_path)
