"""The front door's refusals are in the OpenAPI documents: 431 on every operation, 413 on every
operation with a body, and 429 (with Retry-After) on every operation of the gateway's merged
document, each a problem document."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.openapi import merge_openapi
from shared.openapi_components import PROBLEM_REFERENCE
from shared.problems import PROBLEM_MEDIA_TYPE
from tests.services.test_openapi import UNUSED_DATABASE, operations
from tests.services.test_schemathesis import SERVICES


def _is_problem(response: dict[str, object]) -> bool:
    content = response.get("content")
    assert isinstance(content, dict)
    schema: object = content[PROBLEM_MEDIA_TYPE]["schema"]
    return schema == {"$ref": PROBLEM_REFERENCE}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_service_operation_declares_the_limits_it_can_meet(service: str) -> None:
    with_body = 0
    for method, path, operation in operations(service):
        responses = operation["responses"]
        assert _is_problem(responses["431"]), (method, path)
        if "requestBody" in operation:
            with_body += 1
            assert _is_problem(responses["413"]), (method, path)
        else:
            assert "413" not in responses, (method, path)
        assert "429" not in responses  # services do not rate-limit; the gateway does
    if service in ("admin", "reminders"):  # the services with writes
        assert with_body > 0


def test_the_merged_document_declares_the_rate_limit_on_every_operation() -> None:
    documents = [
        ([name], SERVICES[name](UNUSED_DATABASE, Path(".")).openapi()) for name in sorted(SERVICES)
    ]
    merged = merge_openapi(documents, [])
    operations_seen = 0
    for item in merged["paths"].values():
        for operation in item.values():
            operations_seen += 1
            limited = operation["responses"]["429"]
            assert _is_problem(limited)
            assert "Retry-After" in limited["headers"]
            assert _is_problem(operation["responses"]["431"])
    assert operations_seen > 20
