"""`ecom token create` signs with the running stack's secret, or refuses saying where it looked."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest

from shared.settings import LOCAL_SECRETS_FILE, local_secret
from tests.deploy.cli.test_commands import ecom, ecom_env


def claims(token: str, secret: str) -> dict[str, object]:
    decoded: dict[str, object] = jwt.decode(
        token.strip(),
        secret,
        algorithms=["HS256"],
        audience="ecom-gateway",
        options={"verify_aud": False},
    )
    return decoded


def test_from_another_folder_it_refuses_and_creates_no_secrets(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    result = ecom("token", "create", "--role", "viewer", env=ecom_env(elsewhere))

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"error: no platform secrets at {elsewhere / LOCAL_SECRETS_FILE}: run this in the folder"
        " of `ecom up`, or set ECOM_DATA_DIR (or ECOM_JWT_SECRET)"
    )
    assert not (elsewhere / LOCAL_SECRETS_FILE).exists()


def test_it_signs_with_the_stacks_local_secret(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    secret = local_secret(stack, "jwt_secret").get_secret_value()

    result = ecom("token", "create", "--role", "admin", env=ecom_env(stack))

    assert result.returncode == 0, result.stderr
    assert claims(result.stdout, secret)["role"] == "admin"
    assert set(json.loads((stack / LOCAL_SECRETS_FILE).read_text())) == {"jwt_secret"}


def test_ecom_jwt_secret_wins(tmp_path: Path) -> None:
    env = ecom_env(tmp_path, ECOM_JWT_SECRET="x" * 40)
    result = ecom("token", "create", "--role", "customer", "--sub", "C00042", env=env)
    assert result.returncode == 0, result.stderr
    assert claims(result.stdout, "x" * 40)["sub"] == "C00042"


def test_a_customer_token_needs_a_subject(tmp_path: Path) -> None:
    env = ecom_env(tmp_path, ECOM_JWT_SECRET="x" * 40)
    result = ecom("token", "create", "--role", "customer", env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "--role customer needs --sub <customer id>" in result.stderr


@pytest.mark.parametrize("role", ["viewer", "csr", "editor", "admin"])
def test_staff_tokens_get_a_label_subject(tmp_path: Path, role: str) -> None:
    env = ecom_env(tmp_path, ECOM_JWT_SECRET="x" * 40)
    result = ecom("token", "create", "--role", role, env=env)
    assert result.returncode == 0, result.stderr
    assert claims(result.stdout, "x" * 40)["sub"] == f"local-{role}"
