"""`ecom db init` keeps the passwords of roles that exist; only --reset-role-passwords sets new.

On a server of its own (the embedded one, which checks every password), since roles are
server-wide and the session's server is shared with the other tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest

from shared.bootstrap import BootstrapRefusedError, init_database
from shared.database import asyncpg_dsn, with_login
from shared.embedded_postgres import EmbeddedPostgres
from shared.owners import OWNERSHIP, Owner
from shared.role_passwords import password_matches
from tests.conftest import free_port

FIRST = {owner: f"first-{owner.value}" for owner in Owner}
SECOND = {owner: f"second-{owner.value}" for owner in Owner}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("roles") / "postgres", free_port())
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.discard()


async def _login_works(url: str) -> bool:
    try:
        connection = await asyncpg.connect(asyncpg_dsn(url))
    except asyncpg.InvalidPasswordError:
        return False
    await connection.close()
    return True


def login_works(server: EmbeddedPostgres, owner: Owner, password: str) -> bool:
    url = with_login(server.url, OWNERSHIP[owner].role, password, "datamart")
    return asyncio.run(_login_works(url))


def test_a_second_init_keeps_passwords_refuses_others_and_resets_on_request(
    server: EmbeddedPostgres,
) -> None:
    asyncio.run(init_database(server.url, "datamart", FIRST))
    asyncio.run(init_database(server.url, "datamart", FIRST))  # same passwords: fine

    with pytest.raises(BootstrapRefusedError, match="exist with other passwords"):
        asyncio.run(init_database(server.url, "datamart", SECOND))
    assert all(login_works(server, owner, FIRST[owner]) for owner in Owner)

    asyncio.run(init_database(server.url, "datamart", SECOND, reset_passwords=True))
    assert all(login_works(server, owner, SECOND[owner]) for owner in Owner)
    assert not login_works(server, Owner.FLOWS, FIRST[Owner.FLOWS])


def test_verifiers_of_the_server_are_read_correctly(server: EmbeddedPostgres) -> None:
    async def verifier() -> str:
        connection = await asyncpg.connect(asyncpg_dsn(server.url))
        try:
            await connection.execute("CREATE ROLE verifier_probe PASSWORD 'probe-pw'")
            value: str = await connection.fetchval(
                "SELECT rolpassword FROM pg_authid WHERE rolname = 'verifier_probe'"
            )
            return value
        finally:
            await connection.close()

    stored = asyncio.run(verifier())
    assert stored.startswith("SCRAM-SHA-256$")
    assert password_matches(stored, "verifier_probe", "probe-pw")
    assert not password_matches(stored, "verifier_probe", "probe-pX")
    assert not password_matches(None, "verifier_probe", "probe-pw")
    assert password_matches("md5" + "a" * 32, "r", "x") is False


def test_md5_verifiers_are_read_too() -> None:
    import hashlib

    digest = hashlib.md5(b"secretalice", usedforsecurity=False).hexdigest()
    assert password_matches("md5" + digest, "alice", "secret")
    assert not password_matches("md5" + digest, "alice", "Secret")
