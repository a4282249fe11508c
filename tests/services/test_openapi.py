"""Every service's OpenAPI document is fit for client generation: operation ids unique across
the whole API (the gateway merges the documents) and named `<service>_<verb>_<noun>`, one tag per
operation, errors declared as problem documents, shared types declared once, and two generators
(openapi-python-client with its defaults, datamodel-code-generator) reading every document and
the merged one without a warning. Dates in query strings are ISO 8601 dates only."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway.openapi import merge_openapi
from shared.identity import Role
from tests.conftest import TestDatabase
from tests.generators import run_generator
from tests.services.conftest import client_for, identity_headers
from tests.services.test_schemathesis import SERVICES

VERBS = ("list", "get", "create", "update", "put", "delete", "export")
UNUSED_DATABASE = TestDatabase("postgresql://unused@127.0.0.1/unused", "unused")


def operations(service: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every operation of a service (its OpenAPI needs no database)."""
    spec = SERVICES[service](UNUSED_DATABASE, Path(".")).openapi()
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_operation_ids_follow_the_pattern_and_each_operation_has_one_tag(service: str) -> None:
    pattern = re.compile(rf"^{service}_({'|'.join(VERBS)})_[a-z][a-z0-9_]*[a-z0-9]$")

    misnamed = [op["operationId"] for _m, _p, op in operations(service)
                if not pattern.match(op.get("operationId", ""))]  # fmt: skip
    untagged = [op["operationId"] for _m, _p, op in operations(service)
                if len(op.get("tags", ())) != 1]  # fmt: skip

    assert (misnamed, untagged) == ([], [])


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_api_operations_declare_their_errors_as_problem_documents(service: str) -> None:
    undeclared = [
        f"{method.upper()} {path} {status}"
        for method, path, operation in operations(service)
        if path.startswith("/api/")
        for status in ("401", "403", "422")
        if "application/problem+json"
        not in operation["responses"].get(status, {}).get("content", {})
    ]

    assert undeclared == []


def test_operation_ids_are_unique_across_every_service() -> None:
    every_id = [
        operation["operationId"]
        for service in SERVICES
        for _method, _path, operation in operations(service)
    ]

    assert sorted(every_id) == sorted(set(every_id))


def documents() -> dict[str, dict[str, Any]]:
    """Each service's document, and the gateway's merge of them all (as `merged`)."""
    own = {
        service: factory(UNUSED_DATABASE, Path(".")).openapi()
        for service, factory in SERVICES.items()
    }
    prefixes = {"transparency": ("transparency", "trust")}
    merged = merge_openapi(
        [(prefixes.get(service, (service,)), document) for service, document in own.items()], []
    )
    return {**own, "merged": merged}


@pytest.mark.parametrize("name", [*sorted(SERVICES), "merged"])
def test_document_generates_clients_without_warnings(name: str, tmp_path: Path) -> None:
    source = tmp_path / "openapi.json"
    source.write_text(json.dumps(documents()[name]))

    client_output = run_generator(
        "openapi-python-client", "generate", "--path", str(source),
        "--output-path", str(tmp_path / "client"),
    )  # fmt: skip
    models_output = run_generator(
        "datamodel-codegen", "--input", str(source), "--input-file-type", "openapi",
        "--output", str(tmp_path / "models.py"), "--output-model-type", "pydantic_v2.BaseModel",
        "--formatters", "ruff-format",
    )  # fmt: skip

    assert client_output.strip() == f"Generating {tmp_path / 'client'}"
    assert models_output == ""
    spec = importlib.util.spec_from_file_location(f"generated_{name}", tmp_path / "models.py")
    assert spec is not None
    assert spec.loader is not None
    models = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = models  # pydantic resolves the models' forward references here
    try:
        spec.loader.exec_module(models)
    finally:
        del sys.modules[spec.name]
    assert hasattr(models, "Problem")


def test_shared_types_are_one_component_each_in_the_merged_document() -> None:
    merged = documents()["merged"]
    text = json.dumps(merged)
    schemas = merged["components"]["schemas"]

    assert text.count('"Etc/GMT-1"') == 1
    assert text.count('"delivered"') == 1
    assert {"TimeZone", "Problem", "AdminOrderStatus"} <= set(schemas)
    assert not [name for name in schemas if name.endswith("Filters")]
    assert merged["servers"] == [{"url": "/", "description": "The host that serves this document."}]


def _is_typed_problem(response: dict[str, Any], status: int) -> bool:
    content = response.get("content", {})
    problem = content.get("application/problem+json", {})
    return (
        set(content) == {"application/problem+json"}
        and problem.get("schema") == {"$ref": "#/components/schemas/Problem"}
        and problem.get("example", {}).get("status") == status
    )


def test_every_declared_error_is_a_problem_document_with_its_own_status() -> None:
    wrong = [
        f"{method.upper()} {path} {status}"
        for path, item in documents()["merged"]["paths"].items()
        for method, operation in item.items()
        for status, response in operation["responses"].items()
        if int(status) >= 400 and not _is_typed_problem(response, int(status))
    ]

    assert wrong == []


DATE_PARAMETERS = [
    pytest.param(service, path, parameter["name"], id=f"{service} {path} {parameter['name']}")
    for service in sorted(SERVICES)
    for method, path, operation in operations(service)
    if method == "get" and "{" not in path
    for parameter in operation.get("parameters", ())
    if parameter["in"] == "query" and parameter["schema"].get("format") == "date"
]


def test_the_date_parameters_are_found() -> None:
    found = {(param.values[0], param.values[2]) for param in DATE_PARAMETERS}

    assert {("admin", "from"), ("admin", "to"), ("transparency", "from")} <= found


@pytest.mark.parametrize(("service", "path", "name"), DATE_PARAMETERS)
async def test_date_query_parameters_accept_only_iso_8601_dates(
    service: str, path: str, name: str, database: TestDatabase, tmp_path: Path
) -> None:
    app = SERVICES[service](database, tmp_path)
    headers = identity_headers(Role.ADMIN)

    async for client in client_for(app):
        refused = [
            value
            for value in ("0", "1764892800", "2026-11-26T00:00:00Z", "26/11/2026", "2026-1-2")
            if (await client.get(path, params={name: value}, headers=headers)).status_code != 422
        ]
        accepted = await client.get(path, params={name: "2026-11-26"}, headers=headers)

    assert refused == []
    assert accepted.status_code == 200, accepted.text
