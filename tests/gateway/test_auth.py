"""The gateway's authenticator remembers verified tokens and assertions, but never past expiry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from gateway.auth import Authenticator
from shared.identity import ASSERTION_TTL_S, Principal, Role, issue_token, verify_assertion
from shared.problems import ProblemError

JWT_SECRET = "auth-test-jwt-secret-long-enough-00000000"
INTERNAL_SECRET = "auth-test-internal-secret-long-enough-000"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


async def test_a_remembered_token_is_refused_once_it_expires(
    session: aiohttp.ClientSession,
) -> None:
    authenticator = Authenticator(JWT_SECRET, INTERNAL_SECRET)
    token = issue_token(JWT_SECRET, Role.VIEWER, "ann", ttl_s=1)
    headers = {"authorization": f"Bearer {token}"}
    assert await authenticator.authenticate(headers, session) == Principal(
        sub="ann", role=Role.VIEWER
    )

    await asyncio.sleep(1.1)

    with pytest.raises(ProblemError) as refused:
        await authenticator.authenticate(headers, session)
    assert refused.value.status == 401


async def test_a_tampered_token_is_refused_even_after_the_real_one_was_accepted(
    session: aiohttp.ClientSession,
) -> None:
    authenticator = Authenticator(JWT_SECRET, INTERNAL_SECRET)
    token = issue_token(JWT_SECRET, Role.VIEWER, "ann")
    await authenticator.authenticate({"authorization": f"Bearer {token}"}, session)
    head, body, signature = token.split(".")
    tampered = f"{head}.{body}.{signature[:-2]}AA"

    with pytest.raises(ProblemError):
        await authenticator.authenticate({"authorization": f"Bearer {tampered}"}, session)


async def test_a_token_valid_longer_than_the_lifetime_bound_is_refused(
    session: aiohttp.ClientSession,
) -> None:
    authenticator = Authenticator(JWT_SECRET, INTERNAL_SECRET, max_token_ttl_s=3600)
    within = issue_token(JWT_SECRET, Role.ADMIN, "ann", ttl_s=3600)
    ten_years = issue_token(JWT_SECRET, Role.ADMIN, "ann", ttl_s=315_360_000)

    assert await authenticator.authenticate({"authorization": f"Bearer {within}"}, session)
    with pytest.raises(ProblemError) as refused:
        await authenticator.authenticate({"authorization": f"Bearer {ten_years}"}, session)
    assert refused.value.status == 401


def test_assertions_are_reused_for_half_their_lifetime_then_renewed() -> None:
    now = [time.time() - ASSERTION_TTL_S]  # start in the past so renewed ones verify today
    authenticator = Authenticator(JWT_SECRET, INTERNAL_SECRET, clock=lambda: now[0])
    principal = Principal(sub="ann", role=Role.EDITOR)
    first = authenticator.assertion_for(principal)
    assert authenticator.assertion_for(principal) == first

    now[0] += ASSERTION_TTL_S / 2 + 1
    renewed = authenticator.assertion_for(principal)

    assert renewed != first
    assert verify_assertion(renewed, INTERNAL_SECRET) == principal
    other = authenticator.assertion_for(Principal(sub="bob", role=Role.EDITOR))
    assert verify_assertion(other, INTERNAL_SECRET).sub == "bob"
