"""Settings shared by every deployable; each deployable subclasses `EcomSettings` once.

Every value comes from an `ECOM_`-prefixed environment variable (or `.env`). Nothing else in the
code base reads the environment. Secrets have no usable default outside local mode: in local mode
they are generated once and kept in the data directory so that every local process agrees.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.private_files import json_value, read_json

LOCAL_SECRETS_FILE = "local-secrets.json"


class RuntimeMode(StrEnum):
    """Where the platform runs; only `local` may invent secrets."""

    LOCAL = "local"
    COMPOSE = "compose"
    AWS = "aws"


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the variable to set."""


def local_secret(data_dir: Path, name: str) -> SecretStr:
    """Return the named local-mode secret, creating it (mode 0600) on first use.

    Creation is exclusive and additions are locked, so concurrent processes agree on every value.
    """
    return SecretStr(
        json_value(data_dir / LOCAL_SECRETS_FILE, name, lambda: secrets.token_urlsafe(32))
    )


def stored_local_secret(data_dir: Path, name: str) -> SecretStr | None:
    """The named local-mode secret if it was created already (never creates one)."""
    value = read_json(data_dir / LOCAL_SECRETS_FILE).get(name)
    return SecretStr(value) if value is not None else None


class EcomSettings(BaseSettings):
    """Base of every deployable's settings: runtime mode, data directory, database, logging."""

    model_config = SettingsConfigDict(
        env_prefix="ECOM_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    mode: RuntimeMode = Field(
        default=RuntimeMode.LOCAL, description="local | compose | aws (ECOM_MODE)."
    )
    data_dir: Path = Field(
        default=Path(".ecom"),
        description="Embedded PostgreSQL, local object store and local secrets live here.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description=(
            "PostgreSQL URL this deployable connects with. Unset in local mode: the embedded "
            "server in ECOM_DATA_DIR is used."
        ),
    )
    database_name: str = Field(default="datamart", description="Name of the platform database.")
    db_connect_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description=(
            "Seconds a service's pool waits for a new database connection to open; past it the"
            " request is answered 503 (the driver's own default is 60)."
        ),
    )
    embedded_pg_port: int = Field(
        default=54329, description="TCP port (127.0.0.1) of the embedded PostgreSQL."
    )
    log_level: str = Field(default="INFO", description="Python logging level.")

    # Names of secret fields that local mode may generate; subclasses extend this.
    local_secret_fields: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _fill_or_require_secrets(self) -> EcomSettings:
        for field in self.local_secret_fields:
            if getattr(self, field) is not None:
                continue
            if self.mode is RuntimeMode.LOCAL:
                setattr(self, field, local_secret(self.data_dir, field))
            else:
                raise SettingsError(
                    f"ECOM_{field.upper()} must be set when ECOM_MODE={self.mode.value}; "
                    "only local mode generates secrets."
                )
        return self

    @property
    def data_path(self) -> Path:
        """The data directory as an absolute path."""
        return self.data_dir.expanduser().resolve()

    def secret(self, field: str) -> str:
        """The plain value of a secret field (always set after validation)."""
        value: Any = getattr(self, field)
        if not isinstance(value, SecretStr):
            raise SettingsError(f"ECOM_{field.upper()} is not set.")
        return value.get_secret_value()


class ObjectStoreSettings(EcomSettings):
    """Settings of a deployable that reads or writes the object store."""

    object_store_url: str | None = Field(
        default=None,
        description="Lake root: file:///path or s3://bucket/prefix (default ECOM_DATA_DIR/lake).",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="S3 API endpoint override (MinIO, moto). Unset on AWS."
    )
    s3_access_key_id: SecretStr | None = Field(
        default=None, description="S3 access key; unset to use the default AWS credential chain."
    )
    s3_secret_access_key: SecretStr | None = Field(
        default=None, description="S3 secret key; unset to use the default AWS credential chain."
    )
    s3_region: str = Field(default="us-east-1", description="S3 region.")

    @property
    def lake_url(self) -> str:
        """The object store root, defaulting to a folder of the data directory."""
        if self.object_store_url:
            return self.object_store_url.rstrip("/")
        return (self.data_path / "lake").as_uri()
