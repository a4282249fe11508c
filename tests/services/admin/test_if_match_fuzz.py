"""If-Match values no version parser expected: never a 500, always a precondition answer.

Before the fix, 5,000 digits made `int()` raise and a superscript digit ("\\xb9", which
`str.isdigit` accepts) did too; both reached 500. Anything that is not a strong tag of 1-18
ASCII digits must simply not match: 412 (428 when blank), and the row stays unchanged.
"""

from __future__ import annotations

import re

from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.identity import Role
from tests.services.admin.back_office import PRODUCTS, as_role, create

# Bytes a header value can carry once decoded as latin-1 (no CR, LF or NUL).
_HEADER_CHAR = st.characters(min_codepoint=0x09, max_codepoint=0xFF, exclude_characters="\r\n\0")
# A tag that could legitimately match version 1, or the wildcard: excluded from the fuzz.
_MATCHES_VERSION_1 = re.compile(r'(?<!W/)"0*1"|^\s*\*\s*$')

IF_MATCH_VALUES = st.one_of(
    st.integers(min_value=19, max_value=6_000).map(lambda n: '"' + "7" * n + '"'),
    st.text(st.sampled_from("0123456789\xb2\xb3\xb9\xbc\xbd"), min_size=1, max_size=40).map(
        lambda digits: f'"{digits}"'
    ),
    st.lists(st.text(_HEADER_CHAR, max_size=30).map(lambda tag: f'"{tag}"'), max_size=4).map(
        ", ".join
    ),
    st.text(_HEADER_CHAR, max_size=200),
).filter(lambda value: not _MATCHES_VERSION_1.search(value))


def _with_if_match(role: Role, value: str) -> dict[bytes, bytes]:
    """Identity headers plus an If-Match sent as raw latin-1 bytes (httpx would refuse str)."""
    headers = {name.encode(): text.encode() for name, text in as_role(role).items()}
    return {**headers, b"if-match": value.encode("latin-1")}


async def test_the_reported_values_are_412(admin_client: AsyncClient) -> None:
    await create(admin_client, PRODUCTS, "P-1")
    for value in ('"' + "9" * 5000 + '"', '"\xb9"', '"\u00b2\u00b3"', '"1_0"', '" 2"'):
        response = await admin_client.patch(
            PRODUCTS.item_url("P-1"),
            json=PRODUCTS.change,
            headers=_with_if_match(Role.EDITOR, value),
        )
        assert response.status_code == 412, (value[:20], response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["etag"] == '"1"'


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=IF_MATCH_VALUES)
async def test_no_if_match_value_reaches_a_500(admin_client: AsyncClient, value: str) -> None:
    product = await admin_client.get(PRODUCTS.item_url("P-F"), headers=as_role(Role.ADMIN))
    if product.status_code == 404:
        await create(admin_client, PRODUCTS, "P-F")
    for method in ("PATCH", "DELETE"):
        response = await admin_client.request(
            method,
            PRODUCTS.item_url("P-F"),
            json=PRODUCTS.change if method == "PATCH" else None,
            headers=_with_if_match(Role.ADMIN, value),
        )
        expected = 428 if not value.strip() else 412
        assert response.status_code == expected, (repr(value[:40]), response.text)
        assert response.headers["content-type"] == "application/problem+json"
    after = await admin_client.get(PRODUCTS.item_url("P-F"), headers=as_role(Role.ADMIN))
    assert after.json()["version"] == 1
