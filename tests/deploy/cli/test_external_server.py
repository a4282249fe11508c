"""One superuser URL to a fresh database on an existing server: init, then the pipeline.

The database the URL names is the platform's database; the pipeline logs in as ecom_flows;
system and foreign databases are refused; re-running init keeps the roles' passwords.
Roles are server-wide, so every init here uses the passwords the test session's roles have.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.database import asyncpg_dsn, resolve_database_url, with_database, with_login
from shared.owners import OWNERSHIP, Owner
from shared.settings import EcomSettings, SettingsError
from tests.conftest import TEST_PASSWORDS
from tests.deploy.cli.test_commands import ecom, ecom_env
from tests.shared.test_analyst_role import ANALYST_PASSWORD


def password_env() -> dict[str, str]:
    # The analyst login is cluster-wide like the owners': every test gives it the same password.
    return {
        **{f"ECOM_DB_PASSWORD_{owner.value.upper()}": pw for owner, pw in TEST_PASSWORDS.items()},
        "ECOM_DB_PASSWORD_ANALYST": ANALYST_PASSWORD,
    }


async def _sql(url: str, statement: str) -> object:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await connection.fetchval(statement)
    finally:
        await connection.close()


def sql(url: str, statement: str) -> object:
    return asyncio.run(_sql(url, statement))


@pytest.fixture
def fresh_database(postgres_superuser_url: str, template_database: str) -> Iterator[str]:
    """The superuser URL of a database name nobody uses yet (created by the test's init).

    `template_database` makes sure the session's roles exist with the test passwords.
    """
    del template_database
    name = f"ecom_ext_{uuid.uuid4().hex[:10]}"
    yield with_database(postgres_superuser_url, name)
    sql(postgres_superuser_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_init_then_pipeline_against_one_superuser_url(fresh_database: str, tmp_path: Path) -> None:
    env = ecom_env(
        tmp_path,
        ECOM_DATABASE_URL=fresh_database,
        ECOM_MAX_REJECT_RATE="1",
        **password_env(),
    )

    init = ecom("db", "init", env=env)
    assert init.returncode == 0, init.stderr
    name = fresh_database.rsplit("/", 1)[1]
    assert f"database '{name}' is initialised and migrated" in init.stdout
    generated = ecom("generate", "--orders", "20", "--seed", "3", "--clean", env=env)
    assert generated.returncode == 0, generated.stderr
    run = ecom("pipeline", "run", env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert sql(fresh_database, "SELECT count(*) FROM silver.orders") == 20
    assert sql(fresh_database, "SELECT count(*) FROM ops.pipeline_runs") == 1

    lake = tmp_path / "lake"
    assert any(lake.glob("bronze/**/*.csv*")), "the run wrote bronze"
    loose = [p for p in lake.rglob("*") if p.stat().st_mode & 0o077]
    assert loose == [], "landing and bronze files are private to their owner"

    # The pipeline's commands log in as ecom_flows (not as the URL's superuser): once that role
    # may no longer connect to this database, they fail, though the superuser still could.
    sql(fresh_database, f'REVOKE CONNECT ON DATABASE "{name}" FROM ecom_flows')
    refused = ecom("pipeline", "quarantine", env=env)
    assert refused.returncode == 1
    assert "permission denied for database" in refused.stderr


def test_a_bootstrap_url_with_a_role_password_resolves_to_that_role() -> None:
    settings = EcomSettings(
        _env_file=None,
        database_url="postgresql://postgres:su@db.example:5432/shop",
        mode="compose",
    )
    assert resolve_database_url(settings, None) == "postgresql://postgres:su@db.example:5432/shop"
    assert resolve_database_url(settings, Owner.FLOWS).endswith("@db.example:5432/shop")

    from flows.settings import FlowSettings

    flows = FlowSettings(
        _env_file=None,
        database_url="postgresql://postgres:su@db.example:5432/shop",
        db_password_flows="pw",
        mode="compose",
    )
    assert (
        resolve_database_url(flows, Owner.FLOWS)
        == "postgresql://ecom_flows:pw@db.example:5432/shop"
    )


@pytest.mark.parametrize("database", ["postgres", "template1"])
def test_a_system_database_is_refused_in_one_line(
    postgres_superuser_url: str, tmp_path: Path, database: str
) -> None:
    env = ecom_env(tmp_path, ECOM_DATABASE_URL=with_database(postgres_superuser_url, database))
    result = ecom("db", "init", env=env)
    assert result.returncode == 1
    assert f"names the database '{database}', one of PostgreSQL's own" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_url_disagreeing_with_database_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="make them agree"):
        resolve_database_url(
            EcomSettings(
                _env_file=None,
                database_url="postgresql://postgres@127.0.0.1/mydb",
                database_name="datamart",
                data_dir=tmp_path,
            ),
            None,
        )
    env = ecom_env(
        tmp_path,
        ECOM_DATABASE_URL="postgresql://postgres@127.0.0.1:1/mydb",
        ECOM_DATABASE_NAME="datamart",
    )
    result = ecom("db", "init", env=env)
    assert result.returncode == 1
    assert "names the database 'mydb' but ECOM_DATABASE_NAME is 'datamart'" in result.stderr


def test_a_foreign_database_is_left_alone(fresh_database: str, tmp_path: Path) -> None:
    maintenance = with_database(fresh_database, "postgres")
    name = fresh_database.rsplit("/", 1)[1]
    sql(maintenance, f'CREATE DATABASE "{name}"')
    sql(fresh_database, "CREATE TABLE invoices (id int)")
    env = ecom_env(tmp_path, ECOM_DATABASE_URL=fresh_database, **password_env())

    result = ecom("db", "init", env=env)

    assert result.returncode == 1
    assert "holds 1 tables but no ops.alembic_version" in result.stderr
    assert sql(fresh_database, "SELECT to_regnamespace('ops')::text") is None


def test_init_keeps_role_passwords_and_refuses_other_ones(
    fresh_database: str, tmp_path: Path
) -> None:
    env = ecom_env(
        tmp_path,
        ECOM_DATABASE_URL=fresh_database,
        **{**password_env(), "ECOM_DB_PASSWORD_ADMIN": "not-the-password-in-use"},
    )

    result = ecom("db", "init", env=env)

    assert result.returncode == 1
    assert "role(s) ecom_admin exist with other passwords" in result.stderr
    assert "--reset-role-passwords" in result.stderr
    admin = with_login(
        fresh_database, OWNERSHIP[Owner.ADMIN].role, TEST_PASSWORDS[Owner.ADMIN], "postgres"
    )
    assert sql(admin, "SELECT current_user") == "ecom_admin", "the password in use still works"
    again = ecom("db", "init", env={**env, **password_env()})
    assert again.returncode == 0, again.stderr
