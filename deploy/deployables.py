"""The platform's deployables, declared once: the composition root's one list.

Everything that runs a deployable reads this list: `ecom serve <name>` (deploy/cli/components.py
imports the declared settings class and app factory), `ecom up` (deploy/cli/up.py starts one
process per declaration), and, checked by tests/deploy/, compose.yaml, the Terraform service
list and the gateway's routing (GatewaySettings.upstreams).

Plain data with no import of any deployable: a settings class or app is named by its dotted path,
so reading this module (or `python -m deploy.deployables`, which prints it as JSON for the
Terraform service list) loads none of the platform.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """How a deployable runs."""

    HTTP = "http"  # a long-running HTTP server with a health path, behind a load balancer
    WORKER = "worker"  # long-running, no port (the Prefect flows runner)
    JOB = "job"  # runs to completion before the others start (database set-up)


@dataclass(frozen=True)
class Deployable:
    """One process the image runs: `ecom <command...>`."""

    name: str  # compose service name, ECS service name, `ecom serve` component
    kind: Kind
    settings: str  # "module:Class" of the settings class the process reads
    command: tuple[str, ...]  # arguments to the image's `ecom` entrypoint
    owner: str | None = None  # shared.owners.Owner value: the PostgreSQL role it logs in as
    port_setting: str | None = None  # settings field of the listening port (ECOM_<FIELD>)
    port: int | None = None  # the port in compose and on ECS (the setting's default)
    health_path: str | None = None  # liveness: compose's and the load balancer's probe
    # Readiness (dependencies reachable): what `ecom up` waits for; the health path if unset.
    ready_path: str | None = None
    # "module:function" building the ASGI app from an instance of `settings` (HTTP only).
    app_factory: str | None = None
    # Gateway routing: the /api/<prefix>/ prefixes served, and the gateway setting naming its URL.
    route_prefixes: tuple[str, ...] = ()
    gateway_url_setting: str | None = None
    # Whether the deployable may write the lake (object store); only the flows do.
    writes_lake: bool = False
    # ECOM_* secrets it must be given outside local mode (its settings' local_secret_fields).
    # The owner's database password is not among them: it is part of its ECOM_DATABASE_URL,
    # itself a secret (a Secrets Manager value on ECS, from the secrets file in compose).
    secrets: tuple[str, ...] = field(default=())

    @property
    def readiness_path(self) -> str | None:
        """The path that answers 200 once the deployable can serve."""
        return self.ready_path or self.health_path

    @property
    def port_variable(self) -> str | None:
        """The environment variable of the listening port."""
        return f"ECOM_{self.port_setting.upper()}" if self.port_setting else None


def _service(
    name: str, owner: str, settings: str, port: int, prefixes: tuple[str, ...]
) -> Deployable:
    return Deployable(
        name=name,
        kind=Kind.HTTP,
        settings=settings,
        command=("serve", name),
        owner=owner,
        port_setting=f"{name}_port",
        port=port,
        health_path="/healthz",
        ready_path="/readyz",
        app_factory=f"services.{name}.app:create_app",
        route_prefixes=prefixes,
        gateway_url_setting=f"{name}_service_url",
        secrets=("ECOM_INTERNAL_SECRET",),
    )


DEPLOYABLES: tuple[Deployable, ...] = (
    Deployable(
        name="db-init",
        kind=Kind.JOB,
        settings="deploy.cli.settings:PlatformSettings",
        command=("db", "init"),
        secrets=(
            "ECOM_JWT_SECRET",
            "ECOM_INTERNAL_SECRET",
            "ECOM_DB_PASSWORD_FLOWS",
            "ECOM_DB_PASSWORD_LOYALTY",
            "ECOM_DB_PASSWORD_TRANSPARENCY",
            "ECOM_DB_PASSWORD_REMINDERS",
            "ECOM_DB_PASSWORD_ADMIN",
        ),
    ),
    Deployable(
        name="flows",
        kind=Kind.WORKER,
        settings="flows.settings:FlowSettings",
        command=("flows", "serve"),
        owner="flows",
        writes_lake=True,
    ),
    _service("admin", "admin", "services.admin.settings:AdminSettings", 8001, ("admin",)),
    _service(
        "reminders",
        "reminders",
        "services.reminders.settings:ReminderSettings",
        8004,
        ("reminders",),
    ),
    _service("loyalty", "loyalty", "services.loyalty.settings:LoyaltySettings", 8002, ("loyalty",)),
    _service(
        "transparency",
        "transparency",
        "services.transparency.settings:TransparencySettings",
        8003,
        ("transparency", "trust"),
    ),
    Deployable(
        name="gateway",
        kind=Kind.HTTP,
        settings="gateway.settings:GatewaySettings",
        command=("serve", "gateway"),
        port_setting="gateway_port",
        port=8000,
        health_path="/healthz",
        app_factory="gateway.app:create_app",
        secrets=("ECOM_JWT_SECRET", "ECOM_INTERNAL_SECRET"),
    ),
)

# The only deployable reached from outside (ALB, published compose port).
PUBLIC = "gateway"


def by_name() -> dict[str, Deployable]:
    """Every deployable by its name."""
    return {deployable.name: deployable for deployable in DEPLOYABLES}


def of_kind(kind: Kind) -> tuple[Deployable, ...]:
    """The deployables of one kind, in declaration (start-up) order."""
    return tuple(deployable for deployable in DEPLOYABLES if deployable.kind is kind)


def main() -> None:
    """Print the declarations as JSON (for Terraform's `jsondecode` or a quick look)."""
    print(json.dumps([asdict(deployable) for deployable in DEPLOYABLES], indent=2))


if __name__ == "__main__":
    main()
