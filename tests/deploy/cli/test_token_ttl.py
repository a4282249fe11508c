"""`ecom token create --ttl` stays within ECOM_MAX_TOKEN_TTL_S and above zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest


def token_create(data_dir: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECOM_", "PREFECT_"))}
    env.update({"ECOM_DATA_DIR": str(data_dir), "ECOM_LOG_LEVEL": "WARNING", **env_extra})
    env.setdefault("ECOM_JWT_SECRET", "s" * 40)  # the stack's secret; never invented here
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", "token", "create", "--role", "admin", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def lifetime(token: str) -> int:
    claims = jwt.decode(token.strip(), options={"verify_signature": False})
    return int(claims["exp"]) - int(claims["iat"])


def test_a_ten_year_token_is_refused_naming_the_bound(tmp_path: Path) -> None:
    result = token_create(tmp_path, "--ttl", "315360000")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "exceeds the longest token lifetime, 43200 s (ECOM_MAX_TOKEN_TTL_S)" in result.stderr


@pytest.mark.parametrize("ttl", ["0", "-5"])
def test_zero_and_negative_lifetimes_are_refused(tmp_path: Path, ttl: str) -> None:
    result = token_create(tmp_path, "--ttl", ttl)
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"--ttl must be a positive number of seconds, not {ttl}" in result.stderr


def test_a_lifetime_within_the_bound_is_what_the_token_gets(tmp_path: Path) -> None:
    result = token_create(tmp_path, "--ttl", "600")
    assert result.returncode == 0, result.stderr
    assert lifetime(result.stdout) == 600


def test_the_default_lifetime_shrinks_to_a_lower_bound(tmp_path: Path) -> None:
    result = token_create(tmp_path, ECOM_MAX_TOKEN_TTL_S="900")
    assert result.returncode == 0, result.stderr
    assert lifetime(result.stdout) == 900
    assert token_create(tmp_path, "--ttl", "901", ECOM_MAX_TOKEN_TTL_S="900").returncode == 1
