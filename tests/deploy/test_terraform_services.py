"""The Terraform under deploy/terraform agrees with the code: deployables, ports, owners, settings.

The Terraform is parsed (python-hcl2), not planned: provider downloads are not possible here.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from deploy.cli.settings import PlatformPorts, PlatformSettings
from deploy.deployables import PUBLIC, Kind, of_kind
from gateway.settings import GatewaySettings
from shared.log import LogFormatSettings
from shared.owners import Owner

TERRAFORM = Path(__file__).resolve().parents[2] / "deploy" / "terraform"
MODULES = TERRAFORM / "modules"

# The settings class each deployable reads (None: a Prefect process, configured by PREFECT_*).
SETTINGS: dict[str, str | None] = {
    "gateway": "gateway.settings:GatewaySettings",
    "admin": "services.admin.settings:AdminSettings",
    "loyalty": "services.loyalty.settings:LoyaltySettings",
    "transparency": "services.transparency.settings:TransparencySettings",
    "reminders": "services.reminders.settings:ReminderSettings",
    "flows": "flows.settings:FlowSettings",
    "db-init": "deploy.cli.settings:PlatformSettings",
    "prefect-server": None,
    "prefect-worker": None,
}
# `ecom flows serve` registering the deployments on the ECS work pool, runs from the one image.
AWS_FLOWS_COMMAND = [
    "flows",
    "serve",
    "--work-pool",
    "${var.work_pool}",
    "--image",
    "${local.image}",
]
SERVICES = [d.name for d in of_kind(Kind.HTTP) if d.name != PUBLIC]


def settings_class(name: str) -> type[BaseSettings]:
    module, _, attribute = str(SETTINGS[name]).partition(":")
    cls: type[BaseSettings] = getattr(__import__(module, fromlist=[attribute]), attribute)
    return cls


HCL2_MARKERS = {"__comments__", "__is_block__"}  # python-hcl2's bookkeeping keys


def unquote(value: Any) -> Any:
    """python-hcl2 keeps a string literal's quotes; expressions come as `${...}`."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [unquote(item) for item in value]
    if isinstance(value, dict):
        return {
            unquote(key): unquote(item) for key, item in value.items() if key not in HCL2_MARKERS
        }
    return value


@cache
def parse(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        parsed: dict[str, Any] = hcl2.load(handle)
    return parsed


def aws_locals() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in parse(MODULES / "aws" / "deployables.tf")["locals"]:
        merged.update(unquote(block))
    return merged


def declared() -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = aws_locals()["declared"]
    return result


def env_names(cls: type[BaseSettings]) -> set[str]:
    """Every environment variable a settings class reads (ECOM_<FIELD> or its aliases)."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field, info in cls.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice).upper() for choice in alias.choices)
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{field}".upper())
    return names


def block_names(path: Path, kind: str) -> set[str]:
    return {unquote(name) for block in parse(path).get(kind, []) for name in block}


def test_every_deployable_of_the_code_runs_on_aws_with_its_command() -> None:
    deployables = declared()
    assert set(deployables) == set(SETTINGS)
    # `command` is the arguments of the image's `ecom` entrypoint unless `entrypoint` is given.
    ecom = {name: d["command"] for name, d in deployables.items() if "entrypoint" not in d}
    assert ecom["gateway"] == ["serve", "gateway"]
    for name in SERVICES:
        assert ecom[name] == ["serve", name]
    # On AWS the schedules run on the ECS work pool (deploy/flow_deployments.py).
    assert ecom["flows"] == AWS_FLOWS_COMMAND
    assert ecom["db-init"] == ["db", "init"]
    assert deployables["prefect-server"]["entrypoint"] == ["prefect"]
    assert deployables["prefect-server"]["command"][:2] == ["server", "start"]
    assert deployables["prefect-worker"]["entrypoint"] == ["prefect"]
    assert deployables["prefect-worker"]["command"][:2] == ["worker", "start"]
    assert "ecs" in deployables["prefect-worker"]["command"]
    assert [n for n, d in deployables.items() if d["one_off"]] == ["db-init"]
    # Schedules must not run twice: the flows runner is a singleton.
    assert deployables["flows"]["singleton"] is True


def test_the_deployables_declaration_agrees_when_present() -> None:
    """deploy/deployables.py (the image's and compose's list) names the same processes."""
    module = pytest.importorskip("deploy.deployables")
    deployables = declared()
    for item in module.DEPLOYABLES:
        terraform = deployables[item.name]
        aws_command = AWS_FLOWS_COMMAND if item.name == "flows" else list(item.command)
        assert terraform["command"] == aws_command, item.name
        assert terraform["command"][: len(item.command)] == list(item.command), item.name
        assert "entrypoint" not in terraform, item.name
        assert SETTINGS[item.name] == item.settings, item.name
        if item.port is not None:
            assert aws_locals()["ports"][item.name] == item.port, item.name
        assert set(item.secrets) <= set(terraform["secrets"]), item.name
        if item.owner is not None:
            key = terraform["secrets"]["ECOM_DATABASE_URL"]
            assert key == f"database_url_{item.owner}", item.name
        assert (item.name in aws_locals()["lake_writers"]) is item.writes_lake, item.name
        assert terraform["public"] is (item.name == module.PUBLIC), item.name
    assert {item.name for item in module.DEPLOYABLES} == set(deployables) - {
        "prefect-server",
        "prefect-worker",
    }


def test_ports_are_the_settings_defaults() -> None:
    ports = aws_locals()["ports"]
    expected = {"gateway": GatewaySettings.model_fields["gateway_port"].default}
    for name in SERVICES:
        expected[name] = settings_class(name).model_fields[f"{name}_port"].default
    expected["prefect-server"] = PlatformPorts.model_fields["prefect_port"].default
    assert ports == expected
    assert ports == {
        "gateway": 8000,
        "admin": 8001,
        "loyalty": 8002,
        "transparency": 8003,
        "reminders": 8004,
        "prefect-server": 4200,
    }
    for name, deployable in declared().items():
        if name in ports:
            assert deployable["port"] in (f"${{local.ports.{name}}}", f'${{local.ports["{name}"]}}')
        else:
            assert deployable["port"] is None, name
    for name in ["gateway", *SERVICES]:
        env = declared()[name]["environment"]
        assert env[f"ECOM_{name.upper()}_PORT"] == f"${{tostring(local.ports.{name})}}"
        assert env["ECOM_HOST"] == "0.0.0.0"  # noqa: S104 - a container listens on all interfaces


@pytest.mark.parametrize("name", [n for n, cls in SETTINGS.items() if cls is not None])
def test_every_variable_is_a_setting_of_its_deployable(name: str) -> None:
    cls = settings_class(name)
    known = env_names(cls) | env_names(LogFormatSettings)
    deployable = declared()[name]
    given = {**aws_locals()["common_environment"], **deployable["environment"]}
    for variable in [*given, *deployable["secrets"]]:
        if variable.startswith("ECOM_"):
            assert variable in known, f"{name}: {variable} is no field of {cls.__name__}"
        else:
            assert variable.startswith("PREFECT_"), f"{name}: {variable}"
    assert given["ECOM_MODE"] == "aws"
    # Outside local mode every secret field must be set: each comes from Secrets Manager.
    for field in getattr(cls, "local_secret_fields", ()):
        variable = f"ECOM_{field.upper()}"
        assert variable in deployable["secrets"], f"{name} needs {variable}"
        assert variable not in given, f"{name}: {variable} must not be plain text"
    if "database_url" in cls.model_fields and name != "gateway":
        assert "ECOM_DATABASE_URL" in deployable["secrets"], name


def test_each_service_logs_in_as_its_owner_role() -> None:
    owners = aws_locals()["owners"]
    assert owners == [owner.value for owner in Owner]
    deployables = declared()
    for name in SERVICES:
        owner = settings_class(name).owner  # type: ignore[attr-defined]
        assert deployables[name]["secrets"]["ECOM_DATABASE_URL"] == f"database_url_{owner.value}"
    flows = deployables["flows"]["secrets"]
    assert flows["ECOM_DATABASE_URL"] == "database_url_flows"
    assert flows["ECOM_DB_PASSWORD_FLOWS"] == "db_password_flows"
    # `ecom db init` sets every role's password: it reads all of them, and the bootstrap login.
    db_init = deployables["db-init"]["secrets"]
    assert db_init["ECOM_DATABASE_URL"] == "bootstrap_database_url"
    for field in PlatformSettings.local_secret_fields:
        assert db_init[f"ECOM_{field.upper()}"] == field
    # The gateway holds no database login at all.
    assert not any("database" in key for key in deployables["gateway"]["secrets"].values())


def test_secret_keys_are_made_by_the_secrets_module() -> None:
    made = {"jwt_secret", "internal_secret", "bootstrap_database_url", "prefect_database_url"}
    made |= {f"{kind}_{owner.value}" for owner in Owner for kind in ("db_password", "database_url")}
    used = {key for d in declared().values() for key in d["secrets"].values()}
    assert used <= made
    secrets_tf = (MODULES / "secrets" / "main.tf").read_text()
    for key in ("jwt_secret", "internal_secret", "bootstrap_database_url", "prefect_database_url"):
        assert re.search(rf"^\s*{key}\s*=", secrets_tf, re.MULTILINE), key
    assert '"db_password_${owner}"' in secrets_tf
    assert '"database_url_${owner}"' in secrets_tf
    assert "postgresql://ecom_${owner}:" in secrets_tf


def test_gateway_upstreams_point_at_the_services_and_only_the_gateway_calls_them() -> None:
    defaults = GatewaySettings.model_fields
    deployables = declared()
    ports = aws_locals()["ports"]
    env = deployables["gateway"]["environment"]
    # Every distinct upstream of the gateway (by its settings' default URL) is one service.
    upstream_fields = sorted(f for f in defaults if f.endswith("_service_url"))
    behind_gateway = set()
    for field in upstream_fields:
        service = field.removesuffix("_service_url")
        port = int(str(defaults[field].default).rsplit(":", 1)[1])
        assert ports[service] == port, field
        assert (
            env[f"ECOM_{field.upper()}"]
            == f"http://${{local.dns.{service}}}:${{local.ports.{service}}}"
        )
        behind_gateway.add(service)
    assert behind_gateway == set(SERVICES)
    default_urls = {str(f.default) for n, f in defaults.items() if n.endswith("_service_url")}
    assert set(GatewaySettings.model_construct().upstreams().values()) <= default_urls
    for name, deployable in deployables.items():
        callers = set(deployable["callers"])
        if name in SERVICES:
            assert callers == {"gateway"}, name
        elif name == "prefect-server":
            assert callers == {"admin", "flows", "prefect-worker"}
        else:
            assert not callers, name


def test_only_the_gateway_is_public_and_only_on_the_api_and_root_paths() -> None:
    assert [n for n, d in declared().items() if d["public"]] == ["gateway"]
    variables: dict[str, Any] = {}
    for block in parse(MODULES / "alb" / "variables.tf")["variable"]:
        variables.update(unquote(block))
    assert variables["gateway_paths"]["default"] == ["/api/*", "/"]
    alb = (MODULES / "alb" / "main.tf").read_text()
    assert alb.count('resource "aws_lb_listener_rule"') == 1
    assert alb.count('resource "aws_lb_target_group"') == 1
    # Everything else gets the ALB's own 404.
    assert 'type = "fixed-response"' in alb


def test_only_the_flows_may_write_the_lake() -> None:
    assert aws_locals()["lake_writers"] == ["flows"]
    iam = (MODULES / "iam" / "main.tf").read_text()
    # The lake policy is attached to the lake writers' task roles and nowhere else.
    assert iam.count("s3:PutObject") == 1
    assert "for_each = toset(var.lake_writers)" in iam
    for path in MODULES.glob("*/*.tf"):
        if path.parent.name != "iam":
            assert "s3:PutObject" not in path.read_text(), path
    # Flow runs started by the Prefect ECS worker run as the flows; the worker itself does not.
    worker = directory_blocks(MODULES / "aws", "module")["prefect_worker"]
    assert worker["flows_task_role_arn"] == '${module.iam.task_role_arns["flows"]}'
    assert worker["flows_secrets"] == '${local.deployables["flows"].secrets}'
    assert worker["worker_task_role_name"] == '${module.iam.task_role_names["prefect-worker"]}'


def environment_platform(name: str) -> dict[str, Any]:
    modules = unquote(parse(TERRAFORM / "environments" / name / "main.tf")["module"][0])
    result: dict[str, Any] = modules["platform"]
    return result


def test_qa_runs_one_task_each_without_nat_and_main_two_with_nat() -> None:
    qa, main = environment_platform("qa"), environment_platform("main")
    assert qa["source"] == main["source"] == "../../modules/aws"
    assert (qa["desired_count"], qa["enable_nat"]) == (1, False)
    assert (main["desired_count"], main["enable_nat"]) == (2, True)
    assert qa["name"] == "ecom-qa"
    assert main["name"] == "ecom-main"
    for name in ("qa", "main"):
        outputs = block_names(TERRAFORM / "environments" / name / "outputs.tf", "output")
        assert "alb_dns_name" in outputs


def test_the_azure_shim_has_the_inputs_and_outputs_of_the_aws_module() -> None:
    for kind, file in (("variable", "variables.tf"), ("output", "outputs.tf")):
        aws = block_names(MODULES / "aws" / file, kind)
        azure = block_names(MODULES / "azure" / file, kind)
        assert aws == azure, kind
    assert "alb_dns_name" in block_names(MODULES / "aws" / "outputs.tf", "output")
    assert "NOT IMPLEMENTED" in (MODULES / "azure" / "main.tf").read_text()


# --- a static stand-in for `terraform validate` (no provider can be downloaded here)

META_ARGUMENTS = {"source", "count", "for_each", "providers", "depends_on", "version"}
REFERENCE = re.compile(r"\b(var|local|module|data)\.([A-Za-z0-9_]+)(?:\.([A-Za-z0-9_]+))?")
RESOURCE_REFERENCE = re.compile(r"(?<![\w.\"])((?:aws|random)_[a-z0-9_]+)\.([a-z0-9_]+)\b")


def terraform_dirs() -> list[Path]:
    return sorted({path.parent for path in TERRAFORM.rglob("*.tf")})


def directory_blocks(directory: Path, kind: str) -> dict[str, Any]:
    """Blocks of one kind in every file of a directory, by their (first) label."""
    blocks: dict[str, Any] = {}
    for path in sorted(directory.glob("*.tf")):
        for block in parse(path).get(kind, []):
            blocks.update(unquote(block))
    return blocks


def resources(directory: Path, kind: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted(directory.glob("*.tf")):
        for block in parse(path).get(kind, []):
            for rtype, named in unquote(block).items():
                found.update((rtype, name) for name in named)
    return found


def code_lines(directory: Path) -> list[tuple[Path, str]]:
    """Every line of the directory's Terraform without its comment."""
    lines = []
    for path in sorted(directory.glob("*.tf")):
        for line in path.read_text().splitlines():
            code = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
            lines.append((path, code))
    return lines


@pytest.mark.parametrize("directory", terraform_dirs(), ids=lambda d: str(d.relative_to(TERRAFORM)))
def test_every_reference_resolves(directory: Path) -> None:
    variables = directory_blocks(directory, "variable")
    locals_ = {
        name
        for path in directory.glob("*.tf")
        for block in parse(path).get("locals", [])
        for name in block
    } - HCL2_MARKERS
    modules = directory_blocks(directory, "module")
    data = resources(directory, "data")
    managed = resources(directory, "resource")
    problems = []
    for path, line in code_lines(directory):
        for kind, name, attribute in REFERENCE.findall(line):
            if kind == "var" and name not in variables:
                problems.append(f"{path.name}: var.{name} is not declared")
            elif kind == "local" and name not in locals_:
                problems.append(f"{path.name}: local.{name} is not declared")
            elif kind == "module":
                if name not in modules:
                    problems.append(f"{path.name}: module.{name} is not called here")
                    continue
                source = (directory / modules[name]["source"]).resolve()
                if attribute not in directory_blocks(source, "output"):
                    problems.append(f"{path.name}: module.{name} has no output {attribute}")
            elif kind == "data" and (name, attribute) not in data:
                problems.append(f"{path.name}: data.{name}.{attribute} is not declared")
        for rtype, name in RESOURCE_REFERENCE.findall(line):
            if (rtype, name) not in managed:
                problems.append(f"{path.name}: {rtype}.{name} is not declared")
    assert problems == []


@pytest.mark.parametrize("directory", terraform_dirs(), ids=lambda d: str(d.relative_to(TERRAFORM)))
def test_every_module_call_matches_the_module_interface(directory: Path) -> None:
    for name, call in directory_blocks(directory, "module").items():
        source = (directory / call["source"]).resolve()
        assert source.is_dir(), f"module {name}: {source} missing"
        variables = directory_blocks(source, "variable")
        given = set(call) - META_ARGUMENTS
        assert given <= set(variables), f"module {name}: unknown {given - set(variables)}"
        required = {v for v, spec in variables.items() if "default" not in spec}
        assert required <= given, f"module {name}: missing {required - given}"
