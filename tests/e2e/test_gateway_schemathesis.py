"""Schemathesis through the gateway over the merged document: every operation of every service,
valid and invalid requests, over sockets, with schemathesis' default checks and zero failures."""

from __future__ import annotations

import schemathesis

from shared.identity import Role
from tests.conftest import TestDatabase
from tests.e2e.conftest import bearer
from tests.services.test_schemathesis import CONFIG, fuzz

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
        fuzz(operation, EXAMPLES_PER_OPERATION, headers=headers, base_url=gateway_url)
