"""Schemathesis through the gateway over the merged document: every operation of every service,
valid and invalid requests, over sockets, with schemathesis' default checks and zero failures.
Then the same operations with optional headers carrying random values: never a 5xx."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import content_type_conformance

from shared.identity import Role
from tests.conftest import TestDatabase
from tests.e2e.conftest import bearer
from tests.services.test_schemathesis import CONFIG, fuzz

# Fewer than the in-process run per service (tests/services/test_schemathesis.py): this run
# checks what the gateway and the merge add, over sockets.
EXAMPLES_PER_OPERATION = 8
HEADER_EXAMPLES_PER_OPERATION = 4

# Optional request headers the gateway or a service reads, or that a proxy could trip on. Not
# the framing headers (Content-Length, Transfer-Encoding, Host) nor Authorization: those decide
# whether the request reaches the operation at all and are covered by their own tests.
FUZZED_HEADERS = [
    "If-Match",
    "If-None-Match",
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Range",
    "Cookie",
    "Origin",
    "Referer",
    "X-Request-Id",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Api-Key",
    "X-Ecom-Identity",
    "Traceparent",
    "Connection",
    "Cache-Control",
    "Expect",
    "Forwarded",
]
# Any byte a header value may carry once decoded as latin-1 (no CR, LF or NUL), plus digits.
HEADER_VALUES = st.one_of(
    st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
        max_size=60,
    ),
    st.text("0123456789\xb9\xb2", min_size=1, max_size=30).map(lambda digits: f'"{digits}"'),
    st.integers(min_value=10**18, max_value=10**40).map(str),
)
EXTRA_HEADERS = st.dictionaries(st.sampled_from(FUZZED_HEADERS), HEADER_VALUES, max_size=4)


def _fuzz_headers(operation: Any, headers: dict[str, str], base_url: str) -> None:
    strategy = st.tuples(
        st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        ),
        EXTRA_HEADERS,
    )

    @given(drawn=strategy)
    @settings(
        max_examples=HEADER_EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def check(drawn: tuple[Case, dict[str, str]]) -> None:  # type: ignore[type-arg]
        case, extra = drawn
        # The caller's own identity wins over a fuzzed one; the rest ride along as drawn.
        sent = {key: value.encode("latin-1") for key, value in extra.items()}
        case.call_and_validate(
            base_url=base_url,
            headers={**sent, **headers},
            checks=[not_a_server_error, content_type_conformance],
        )

    check()


def test_every_operation_of_the_merged_document_passes_through_the_gateway(
    database: TestDatabase, gateway_url: str
) -> None:
    schema = schemathesis.openapi.from_url(f"{gateway_url}/api/openapi.json", config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    headers = bearer(Role.ADMIN, "schemathesis")
    assert len(operations) > 40

    for operation in operations:
        fuzz(operation, EXAMPLES_PER_OPERATION, headers=headers, base_url=gateway_url)
    for operation in operations:
        _fuzz_headers(operation, headers, gateway_url)
