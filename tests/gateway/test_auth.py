"""The gateway's authenticator remembers verified tokens and assertions, but never past expiry."""

from __future__ import annotations

import time

import pytest

from gateway.auth import Authenticator
from shared.identity import ASSERTION_TTL_S, Principal, Role, issue_token, verify_assertion
from shared.problems import ProblemError

JWT_SECRET = "auth-test-jwt-secret-long-enough-00000000"
INTERNAL_SECRET = "auth-test-internal-secret-long-enough-000"


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    authenticator = Authenticator(JWT_SECRET, INTERNAL_SECRET)
    token = issue_token(JWT_SECRET, Role.VIEWER, "ann", ttl_s=1)
    header = f"Bearer {token}"
    assert authenticator.authenticate(header) == Principal(sub="ann", role=Role.VIEWER)

    time.sleep(1.1)

    with pytest.raises(ProblemError) as refused:
        authenticator.authenticate(header)
    assert refused.value.status == 401


def test_a_tampered_token_is_refused_even_after_the_real_one_was_accepted() -> None:
    authenticator = Authenticator(JWT_SECRET, INTERNAL_SECRET)
    token = issue_token(JWT_SECRET, Role.VIEWER, "ann")
    authenticator.authenticate(f"Bearer {token}")
    head, body, signature = token.split(".")
    tampered = f"{head}.{body}.{signature[:-2]}AA"

    with pytest.raises(ProblemError):
        authenticator.authenticate(f"Bearer {tampered}")


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
