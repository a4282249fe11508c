"""Database URLs, engines and the embedded server, resolved the same way by every deployable."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.embedded_postgres import EmbeddedPostgres
from shared.owners import OWNERSHIP, Owner
from shared.settings import (
    EcomSettings,
    RuntimeMode,
    SettingsError,
    local_secret,
    stored_local_secret,
)


def role_password_field(owner: Owner) -> str:
    """Name of the setting (and local secret) holding an owner's database password."""
    return f"db_password_{owner.value}"


def embedded_server(settings: EcomSettings) -> EmbeddedPostgres:
    """The embedded PostgreSQL of this data directory (not started)."""
    password = local_secret(settings.data_path, "embedded_pg_password").get_secret_value()
    return EmbeddedPostgres(settings.data_path / "postgres", settings.embedded_pg_port, password)


def with_login(url: str, user: str, password: str | None, database: str | None = None) -> str:
    """`url` with its user, password and (optionally) database replaced."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    login = quote(user, safe="")
    if password:
        login += ":" + quote(password, safe="")
    path = f"/{database}" if database else parts.path
    return urlunsplit((parts.scheme, f"{login}@{host}", path, parts.query, parts.fragment))


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def asyncpg_dsn(url: str) -> str:
    """A plain `postgresql://` DSN as asyncpg expects it."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def sqlalchemy_url(url: str) -> str:
    """The same URL with SQLAlchemy's asyncpg driver selected."""
    return "postgresql+asyncpg://" + asyncpg_dsn(url).split("://", 1)[1]


def platform_database(settings: EcomSettings) -> str:
    """The platform's database: the one ECOM_DATABASE_URL names, else ECOM_DATABASE_NAME.

    Refuses (one line) a system database as the target and a URL that disagrees with an
    explicitly set ECOM_DATABASE_NAME, so that `ecom db init` and every deployable agree.
    """
    if settings.database_url is None:
        return settings.database_name
    named = unquote(urlsplit(settings.database_url.get_secret_value()).path.lstrip("/"))
    if not named:
        return settings.database_name
    if named == "postgres" or named.startswith("template"):
        raise SettingsError(
            f"ECOM_DATABASE_URL names the database '{named}', one of PostgreSQL's own: name the"
            f" platform's database in the URL instead (e.g. .../{settings.database_name})."
        )
    if "database_name" in settings.model_fields_set and settings.database_name != named:
        raise SettingsError(
            f"ECOM_DATABASE_URL names the database '{named}' but ECOM_DATABASE_NAME is"
            f" '{settings.database_name}': make them agree, or unset ECOM_DATABASE_NAME."
        )
    return named


def known_role_password(settings: EcomSettings, owner: Owner) -> str | None:
    """`owner`'s role password if this process knows it (its setting, else a local secret)."""
    field = role_password_field(owner)
    value = getattr(settings, field, None)
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if settings.mode is RuntimeMode.LOCAL:
        stored = stored_local_secret(settings.data_path, field)
        return stored.get_secret_value() if stored is not None else None
    return None


def resolve_database_url(settings: EcomSettings, owner: Owner | None) -> str:
    """The URL a deployable connects with: ECOM_DATABASE_URL, else the embedded server.

    `owner=None` asks for the bootstrap (superuser) login, used by `ecom db init`. Given a
    bootstrap URL and the owner's role password (ECOM_DB_PASSWORD_<OWNER> or, in local mode, the
    local secret `ecom db init` created), a deployable logs in as its own role instead.
    """
    if settings.database_url is not None:
        url = settings.database_url.get_secret_value()
        database = platform_database(settings)
        if owner is None or unquote(urlsplit(url).username or "") == OWNERSHIP[owner].role:
            return with_database(url, database)
        password = known_role_password(settings, owner)
        if password is None:
            return with_database(url, database)
        return with_login(url, OWNERSHIP[owner].role, password, database)
    if settings.mode is not RuntimeMode.LOCAL:
        raise SettingsError(
            f"ECOM_DATABASE_URL must be set when ECOM_MODE={settings.mode.value}; "
            "only local mode starts an embedded PostgreSQL."
        )
    server_url = embedded_server(settings).url
    if owner is None:
        return with_database(server_url, settings.database_name)
    password = local_secret(settings.data_path, role_password_field(owner)).get_secret_value()
    return with_login(server_url, OWNERSHIP[owner].role, password, settings.database_name)


def create_engine(
    url: str,
    *,
    pool_size: int = 5,
    max_overflow: int | None = None,
    pre_ping: bool = True,
    connect_timeout_s: float | None = None,
) -> AsyncEngine:
    """An asyncpg-backed SQLAlchemy engine; create it in a lifespan and dispose it there.

    `connect_timeout_s` bounds how long opening one connection may take (asyncpg's `timeout`).
    """
    return create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_pre_ping=pre_ping,
        connect_args={} if connect_timeout_s is None else {"timeout": connect_timeout_s},
    )


def affected_rows(status: str) -> int:
    """The row count of an asyncpg command status such as `INSERT 0 12` or `COPY 30`."""
    return int(status.rsplit(" ", 1)[-1])


@asynccontextmanager
async def setting_for(connection: asyncpg.Connection, name: str, value: str) -> AsyncIterator[None]:
    """The server setting `name` at `value` for the statements inside (`settings_for`)."""
    async with settings_for(connection, {name: value}):
        yield


@asynccontextmanager
async def settings_for(
    connection: asyncpg.Connection, settings: Mapping[str, str]
) -> AsyncIterator[None]:
    """Each server setting of `settings` at its value for the statements inside, then back to
    what it was, within the current transaction (`set_config(..., true)`, as SET LOCAL). Nothing
    is restored when a statement inside fails: the failed transaction, or savepoint, undoes the
    settings. An empty `settings` sends nothing."""
    if not settings:
        yield
        return
    names, values = list(settings), list(settings.values())
    previous = await connection.fetchval(
        "SELECT array_agg(current_setting(name) ORDER BY n) FROM unnest($1::text[])"
        " WITH ORDINALITY AS s (name, n)",
        names,
    )
    await _set_locally(connection, names, values)
    yield
    await _set_locally(connection, names, previous)


async def _set_locally(connection: asyncpg.Connection, names: list[str], values: list[str]) -> None:
    await connection.execute(
        "SELECT set_config(name, value, true)"
        " FROM unnest($1::text[], $2::text[]) AS s (name, value)",
        names,
        values,
    )
