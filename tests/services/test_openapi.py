"""Every service's OpenAPI document is fit for client generation: operation ids unique across
the whole API (the gateway merges the documents) and named `<service>_<verb>_<noun>`, one tag per
operation, errors declared as problem documents."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TestDatabase
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
