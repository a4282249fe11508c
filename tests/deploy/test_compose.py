"""compose.yaml agrees with deploy/deployables.py, the settings classes and the gateway's routing,
is valid against the compose specification, and needs every secret (ECOM_MODE=compose)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from deploy.deployables import DEPLOYABLES, PUBLIC, Deployable, Kind, by_name
from gateway.settings import GatewaySettings
from shared.database import resolve_database_url
from shared.log import LogFormatSettings
from shared.owners import OWNERSHIP, Owner
from shared.settings import EcomSettings, RuntimeMode
from tests.deploy.compose_file import (
    ROOT,
    environment_of,
    load,
    load_raw,
    variables,
)

# Services of compose.yaml that are not the platform's deployables.
THIRD_PARTY = {"postgres", "minio", "minio-init", "prefect-server"}
# What compose publishes on the host: the gateway, the Prefect UI, the MinIO console.
PUBLISHED = {"gateway": 8000, "prefect-server": 4200, "minio": 9001}
# Every variable compose.yaml interpolates: each secret is required (`:?`), nothing else used.
SECRETS = {
    "POSTGRES_PASSWORD",
    "MINIO_ROOT_USER",
    "MINIO_ROOT_PASSWORD",
    "ECOM_JWT_SECRET",
    "ECOM_INTERNAL_SECRET",
    *(f"ECOM_DB_PASSWORD_{owner.value.upper()}" for owner in Owner),
}
OPTIONAL = {"ECOM_IMAGE", "ECOM_BASE_IMAGE"}
FILLED = {name: f"{name.lower()}-value" for name in SECRETS}


def settings_class(deployable: Deployable) -> type[EcomSettings]:
    module, name = deployable.settings.split(":")
    cls: type[EcomSettings] = getattr(importlib.import_module(module), name)
    return cls


def env_names(cls: type[BaseSettings]) -> dict[str, str]:
    """Environment variable (upper case) -> field name, as tests/shared/test_settings.py reads."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: dict[str, str] = {}
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            candidates = [str(choice) for choice in alias.choices]
        else:
            candidates = [str(alias) if alias is not None else f"{prefix}{field_name}"]
        names.update({candidate.upper(): field_name for candidate in candidates})
    return names


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load(FILLED)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "compose.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_interpolated_secret_is_required_and_nothing_else_is_read() -> None:
    text = (ROOT / "compose.yaml").read_text()
    used = variables(text)
    names = {name for name, _ in used}
    assert names == SECRETS | OPTIONAL
    for name, op in used:
        expected = ":?" if name in SECRETS else ":-"
        assert op == expected, f"${{{name}}} must be written ${{{name}{expected}...}}"


def test_missing_secret_stops_compose_with_a_message_naming_it() -> None:
    without_jwt = {key: value for key, value in FILLED.items() if key != "ECOM_JWT_SECRET"}
    with pytest.raises(KeyError, match="ECOM_JWT_SECRET"):
        load(without_jwt)


def test_every_deployable_is_a_compose_service_and_nothing_more(
    services: dict[str, dict[str, Any]],
) -> None:
    assert set(services) == {deployable.name for deployable in DEPLOYABLES} | THIRD_PARTY
    image = services[PUBLIC]["image"]
    for name in [*by_name(), "prefect-server"]:
        assert services[name]["image"] == image, f"{name} runs the one platform image"
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        # SIGTERM reaches the component (Python as PID 1 would ignore it): see compose.yaml.
        assert services[name]["init"] is True, f"{name} needs init: true"


@pytest.mark.parametrize("deployable", DEPLOYABLES, ids=lambda d: d.name)
def test_service_runs_its_command_in_compose_mode_with_its_own_settings_only(
    deployable: Deployable, services: dict[str, dict[str, Any]]
) -> None:
    service = services[deployable.name]
    assert service["command"] == list(deployable.command)
    environment = environment_of(service)
    assert environment["ECOM_MODE"] == RuntimeMode.COMPOSE.value
    known = env_names(settings_class(deployable)) | env_names(LogFormatSettings)
    unknown = sorted(name for name in environment if name.startswith("ECOM_") and name not in known)
    assert unknown == [], f"{deployable.name} does not read {unknown}"
    required = {f"ECOM_{field.upper()}" for field in settings_class(deployable).local_secret_fields}
    assert set(deployable.secrets) == required
    for secret in deployable.secrets:
        assert secret in environment, f"{deployable.name} needs {secret}"


@pytest.mark.parametrize("deployable", DEPLOYABLES, ids=lambda d: d.name)
def test_settings_load_from_the_compose_environment_and_log_in_as_the_owner(
    deployable: Deployable,
    services: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    environment = environment_of(services[deployable.name])
    for name in env_names(settings_class(deployable)):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    # Compose mode demands every secret: this raises if the service is missing one.
    settings = settings_class(deployable)(_env_file=None, data_dir=tmp_path)
    assert settings.mode is RuntimeMode.COMPOSE
    if deployable.port_setting is not None:
        assert getattr(settings, deployable.port_setting) == deployable.port
        assert settings.model_dump().get("host") == "0.0.0.0"  # noqa: S104 (inside a container)
    owner = Owner(deployable.owner) if deployable.owner else None
    if owner is None and deployable.kind is not Kind.JOB:
        assert "ECOM_DATABASE_URL" not in environment, "only owners (and db init) get a database"
        return
    url = urlsplit(resolve_database_url(settings, owner))
    assert url.hostname == "postgres"
    assert url.path == "/datamart"
    expected_user = OWNERSHIP[owner].role if owner else "postgres"
    assert url.username == expected_user
    if owner is not None:
        assert url.password == FILLED[f"ECOM_DB_PASSWORD_{owner.value.upper()}"]


@pytest.mark.parametrize(
    "deployable", [d for d in DEPLOYABLES if d.kind is Kind.HTTP], ids=lambda d: d.name
)
def test_http_deployable_port_matches_its_setting_and_its_healthcheck(
    deployable: Deployable, services: dict[str, dict[str, Any]]
) -> None:
    assert deployable.port_setting is not None
    default = settings_class(deployable).model_fields[deployable.port_setting].default
    assert deployable.port == default, "the declared port is the setting's default"
    service = services[deployable.name]
    assert environment_of(service)[str(deployable.port_variable)] == str(deployable.port)
    probe = service["healthcheck"]["test"]
    assert probe[-1] == f"http://127.0.0.1:{deployable.port}{deployable.health_path}"


def test_only_the_gateway_prefect_ui_and_minio_console_are_published(
    services: dict[str, dict[str, Any]],
) -> None:
    published = {
        name: [str(port) for port in service.get("ports", [])]
        for name, service in services.items()
        if service.get("ports")
    }
    assert published == {name: [f"{port}:{port}"] for name, port in PUBLISHED.items()}
    assert PUBLISHED[PUBLIC] == by_name()[PUBLIC].port


def test_gateway_routes_every_prefix_to_the_declared_service(
    services: dict[str, dict[str, Any]],
) -> None:
    gateway_env = environment_of(services[PUBLIC])
    fields = env_names(GatewaySettings)
    routed: dict[str, str] = {}
    for deployable in DEPLOYABLES:
        if deployable.gateway_url_setting is None:
            continue
        variable = f"ECOM_{deployable.gateway_url_setting.upper()}"
        assert fields[variable] == deployable.gateway_url_setting
        assert gateway_env[variable] == f"http://{deployable.name}:{deployable.port}"
        default_url = GatewaySettings.model_fields[deployable.gateway_url_setting].default
        assert urlsplit(default_url).port == deployable.port, "`ecom up` uses the same port"
        routed.update(dict.fromkeys(deployable.route_prefixes, deployable.gateway_url_setting))
    settings = GatewaySettings(_env_file=None, jwt_secret="j", internal_secret="i")
    upstreams = settings.upstreams()
    assert set(upstreams) == set(routed)
    for prefix, setting in routed.items():
        assert upstreams[prefix] == getattr(settings, setting)


def test_dependencies_wait_for_health_or_completion(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            target = services[dependency]
            if target.get("restart") == "no":
                expected = "service_completed_successfully"
            else:
                assert "healthcheck" in target, f"{dependency} needs a healthcheck"
                expected = "service_healthy"
            assert rule["condition"] == expected, f"{name} -> {dependency}"
    for deployable in DEPLOYABLES:
        if deployable.kind is Kind.HTTP:
            assert "healthcheck" in services[deployable.name]


def test_raw_file_keeps_secrets_out_of_the_repository() -> None:
    raw = load_raw()
    for service in raw["services"].values():
        for key, value in environment_of(service).items():
            if any(word in key for word in ("PASSWORD", "SECRET")) and "${" not in value:
                pytest.fail(f"{key} is written into compose.yaml; interpolate it instead")


def test_ecom_serve_and_ecom_up_ports_agree_with_the_declaration() -> None:
    from deploy.cli.components import servable
    from deploy.cli.main import Component
    from deploy.cli.settings import PlatformPorts

    http = {d.name: d for d in DEPLOYABLES if d.kind is Kind.HTTP}
    assert set(servable()) == set(http)
    # `ecom serve` offers exactly the declared HTTP deployables as its choices.
    assert {str(component) for component in Component} == set(http)  # type: ignore[attr-defined]
    for deployable in http.values():
        assert deployable.command == ("serve", deployable.name)
        assert deployable.port_setting is not None
        local_default = PlatformPorts.model_fields[deployable.port_setting].default
        assert local_default == deployable.port, f"`ecom up` runs {deployable.name} elsewhere"
        assert deployable.app_factory is not None
        module, _, factory = deployable.app_factory.partition(":")
        assert callable(getattr(importlib.import_module(module), factory)), deployable.name
        assert deployable.readiness_path is not None


def test_ecom_up_starts_and_probes_every_declared_deployable(tmp_path: Path) -> None:
    """`ecom up`'s components, ports, health URLs and the gateway's upstream URLs come from
    the declarations."""
    from deploy.cli.settings import PlatformSettings
    from deploy.cli.up import LocalStack

    settings = PlatformSettings(_env_file=None, data_dir=tmp_path, mode=RuntimeMode.LOCAL)
    stack = LocalStack(settings)
    http = [d for d in DEPLOYABLES if d.kind is Kind.HTTP]
    assert set(stack.endpoints) == {d.name for d in http} | {"prefect-server"}
    for deployable in http:
        port, url, health_url = stack.endpoints[deployable.name]
        assert (port, url) == (deployable.port, f"http://127.0.0.1:{deployable.port}")
        assert health_url == f"http://127.0.0.1:{deployable.port}{deployable.readiness_path}"
    gateway_env = stack._deployable_env("postgresql://u:p@127.0.0.1:1/d", by_name()[PUBLIC])
    assert "ECOM_DATABASE_URL" not in gateway_env, "the gateway holds no database login"
    assert gateway_env["ECOM_GATEWAY_PORT"] == "8000"
    routed = {
        f"ECOM_{d.gateway_url_setting.upper()}": f"http://127.0.0.1:{d.port}"
        for d in DEPLOYABLES
        if d.gateway_url_setting
    }
    assert {k: gateway_env[k] for k in routed} == routed
    # What `ecom up` checks is free before it starts, and the settings its message names.
    checked = settings.platform_ports()
    assert sorted(checked.values()) == sorted(
        [int(str(d.port)) for d in http] + [settings.prefect_port, settings.embedded_pg_port]
    )
    assert set(settings.port_variables()) == {d.port_variable for d in http} | {"ECOM_PREFECT_PORT"}
