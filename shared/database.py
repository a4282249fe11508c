"""Database URLs, engines and the embedded server, resolved the same way by every deployable."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.embedded_postgres import EmbeddedPostgres
from shared.owners import OWNERSHIP, Owner
from shared.settings import EcomSettings, RuntimeMode, SettingsError, local_secret


def role_password_field(owner: Owner) -> str:
    """Name of the setting (and local secret) holding an owner's database password."""
    return f"db_password_{owner.value}"


def embedded_server(settings: EcomSettings) -> EmbeddedPostgres:
    """The embedded PostgreSQL of this data directory (not started)."""
    return EmbeddedPostgres(settings.data_path / "postgres", settings.embedded_pg_port)


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


def resolve_database_url(settings: EcomSettings, owner: Owner | None) -> str:
    """The URL a deployable connects with: ECOM_DATABASE_URL, else the embedded server.

    `owner=None` asks for the superuser of the embedded server (used by `ecom db init`).
    """
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
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
    url: str, *, pool_size: int = 5, max_overflow: int | None = None, pre_ping: bool = True
) -> AsyncEngine:
    """An asyncpg-backed SQLAlchemy engine; create it in a lifespan and dispose it there."""
    return create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_pre_ping=pre_ping,
    )


def affected_rows(status: str) -> int:
    """The row count of an asyncpg command status such as `INSERT 0 12` or `COPY 30`."""
    return int(status.rsplit(" ", 1)[-1])
