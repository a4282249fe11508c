"""Schemathesis through the gateway over the merged document: every operation of every service,
valid and invalid requests, over sockets, with schemathesis' default checks and zero failures."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.generation.case import Case

from shared.identity import Role
from tests.conftest import TestDatabase
from tests.e2e.conftest import bearer
from tests.services.test_schemathesis import CONFIG

# Fewer than the in-process run per service (tests/services/test_schemathesis.py): this run
# checks what the gateway and the merge add, over sockets.
EXAMPLES_PER_OPERATION = 8


def test_every_operation_of_the_merged_document_passes_through_the_gateway(
    database: TestDatabase, gateway_url: str
) -> None:
    schema = schemathesis.openapi.from_url(f"{gateway_url}/api/openapi.json", config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    headers = bearer(Role.ADMIN, "schemathesis")
    assert len(operations) > 40

    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def check(case: Case) -> None:  # type: ignore[type-arg]
            case.call_and_validate(headers=headers, base_url=gateway_url)

        check()
