"""The API key file: hashes only, atomic rewrites, and a verifier that follows every change."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shared.api_keys import (
    ApiKeyVerifier,
    create_api_key,
    key_hash,
    list_api_keys,
    revoke_api_key,
)
from shared.identity import Principal, Role


def test_the_file_keeps_the_hash_never_the_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    record, key = create_api_key(path, Role.CSR, name="support bot")

    stored = json.loads(path.read_text())["keys"]
    assert stored[0]["sha256"] == key_hash(key) == record.sha256
    assert key not in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_verifier_follows_creation_and_revocation_without_restarting(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    verifier = ApiKeyVerifier(path)
    assert verifier.principal("ecom_x_y") is None  # no file yet

    record, key = create_api_key(path, Role.VIEWER)
    assert verifier.principal(key) == Principal(sub=f"apikey:{record.id}", role=Role.VIEWER)

    revoke_api_key(path, record.id)
    assert verifier.principal(key) is None


def test_a_damaged_file_refuses_every_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    _, key = create_api_key(path, Role.ADMIN)
    verifier = ApiKeyVerifier(path)
    assert verifier.principal(key) is not None

    path.write_text('{"keys": [')

    assert verifier.principal(key) is None


def test_revoking_twice_keeps_the_first_revocation(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    record, _ = create_api_key(path, Role.EDITOR)
    first = revoke_api_key(path, record.id)
    second = revoke_api_key(path, record.id)
    assert first.revoked_at is not None
    assert second.revoked_at == first.revoked_at


def test_concurrent_creations_all_land(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda _: create_api_key(path, Role.VIEWER)[0].id, range(40)))

    assert sorted(record.id for record in list_api_keys(path)) == sorted(created)


def test_an_unreachable_file_refuses_every_key_without_raising(tmp_path: Path) -> None:
    _, key = create_api_key(tmp_path / "keys.json", Role.ADMIN)
    # A path through a regular file: stat fails with ENOTDIR, not "not found".
    verifier = ApiKeyVerifier(tmp_path / "keys.json" / "inner.json")

    assert verifier.principal(key) is None
