"""Settings of the `ecom` command line: it bootstraps the database and runs everything locally."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AliasChoices, Field, SecretStr

from deploy.deployables import PUBLIC, Kind, of_kind
from shared.analyst_access import ANALYST_PASSWORD_FIELD
from shared.database import platform_database, role_password_field, with_login
from shared.owners import OWNERSHIP, Owner
from shared.settings import EcomSettings, ObjectStoreSettings, RuntimeMode, local_secret


class PlatformPorts(EcomSettings):
    """Where the local platform listens; needs no secrets, so one-off flows can read it too."""

    prefect_port: int = Field(default=4200, description="Port of the local Prefect server (UI).")
    gateway_port: int = Field(default=8000, description="Port of the gateway in `ecom up`.")
    admin_port: int = Field(default=8001, description="Port of the admin service in `ecom up`.")
    loyalty_port: int = Field(default=8002, description="Port of the loyalty service in `ecom up`.")
    transparency_port: int = Field(
        default=8003, description="Port of the transparency service in `ecom up`."
    )
    reminders_port: int = Field(
        default=8004, description="Port of the reminders service in `ecom up`."
    )
    prefect_api_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PREFECT_API_URL"),
        description="Prefect's own variable: the server one-off flows report to (unset: a"
        " temporary server on a port off the platform's).",
    )

    def platform_ports(self) -> dict[str, int]:
        """Every port the local platform listens on, by what listens there: each HTTP
        deployable of deploy/deployables.py on its port setting, Prefect, PostgreSQL."""
        ports: dict[str, int] = {
            deployable.name if deployable.name == PUBLIC else f"{deployable.name} service": int(
                getattr(self, str(deployable.port_setting))
            )
            for deployable in of_kind(Kind.HTTP)
        }
        ports["Prefect"] = self.prefect_port
        ports["embedded PostgreSQL"] = self.embedded_pg_port
        return ports

    @staticmethod
    def port_variables() -> list[str]:
        """The settings that move those ports (ECOM_<NAME>_PORT)."""
        declared = [str(deployable.port_variable) for deployable in of_kind(Kind.HTTP)]
        return [*declared, "ECOM_PREFECT_PORT"]


class PlatformSettings(ObjectStoreSettings, PlatformPorts):
    """What `ecom` reads: the bootstrap database URL, secrets, role passwords, ports."""

    local_secret_fields: ClassVar[tuple[str, ...]] = (
        "jwt_secret",
        "internal_secret",
        *(role_password_field(owner) for owner in Owner),
    )

    jwt_secret: SecretStr | None = Field(default=None, description="Signs caller tokens (HS256).")
    internal_secret: SecretStr | None = Field(
        default=None, description="Signs gateway identity assertions."
    )
    db_password_flows: SecretStr | None = Field(default=None, description="ecom_flows password.")
    db_password_loyalty: SecretStr | None = Field(
        default=None, description="ecom_loyalty password."
    )
    db_password_transparency: SecretStr | None = Field(
        default=None, description="ecom_transparency password."
    )
    db_password_reminders: SecretStr | None = Field(
        default=None, description="ecom_reminders password."
    )
    db_password_admin: SecretStr | None = Field(default=None, description="ecom_admin password.")
    db_password_analyst: SecretStr | None = Field(
        default=None,
        description="ecom_analyst password: the read-only BI login (shared/analyst_access.py);"
        " generated into local secrets in local mode, unset elsewhere: no analyst login.",
    )

    def role_passwords(self) -> dict[Owner, str]:
        """Every owner's database password."""
        return {owner: self.secret(role_password_field(owner)) for owner in Owner}

    def analyst_password(self) -> str | None:
        """The analyst login's password: the setting, else (local mode) a local secret."""
        if self.db_password_analyst is not None:
            return self.db_password_analyst.get_secret_value()
        if self.mode is RuntimeMode.LOCAL:
            return local_secret(self.data_dir, ANALYST_PASSWORD_FIELD).get_secret_value()
        return None

    def owner_url(self, superuser_url: str, owner: Owner) -> str:
        """The URL logging in as `owner`'s role on the platform database of `superuser_url`."""
        return with_login(
            superuser_url,
            OWNERSHIP[owner].role,
            self.secret(role_password_field(owner)),
            platform_database(self),
        )
