"""Caller tokens and gateway assertions."""

from __future__ import annotations

import time

import pytest

from shared.identity import (
    IdentityError,
    Principal,
    Role,
    issue_token,
    sign_assertion,
    verify_assertion,
    verify_token,
)

SECRET = "token-secret-for-tests-0123456789"
INTERNAL = "internal-secret-for-tests-0123456"


def test_token_round_trip_keeps_subject_and_role() -> None:
    token = issue_token(SECRET, Role.EDITOR, "alice")
    assert verify_token(token, SECRET) == Principal(sub="alice", role=Role.EDITOR)


def test_token_signed_with_another_secret_is_refused() -> None:
    token = issue_token("another-secret-another-secret-00", Role.ADMIN, "mallory")
    with pytest.raises(IdentityError):
        verify_token(token, SECRET)


def test_expired_token_is_refused() -> None:
    token = issue_token(SECRET, Role.ADMIN, "alice", ttl_s=10, now=time.time() - 3600)
    with pytest.raises(IdentityError):
        verify_token(token, SECRET)


def test_caller_token_is_not_accepted_as_a_service_assertion() -> None:
    token = issue_token(INTERNAL, Role.ADMIN, "alice")
    with pytest.raises(IdentityError):
        verify_assertion(token, INTERNAL)


def test_assertion_round_trip() -> None:
    principal = Principal(sub="C00042", role=Role.CUSTOMER)
    assert verify_assertion(sign_assertion(principal, INTERNAL), INTERNAL) == principal


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        (Role.ADMIN, Role.VIEWER, True),
        (Role.EDITOR, Role.CSR, True),
        (Role.CSR, Role.EDITOR, False),
        (Role.VIEWER, Role.VIEWER, True),
        (Role.CUSTOMER, Role.VIEWER, False),
        (Role.ADMIN, Role.CUSTOMER, False),
        (Role.CUSTOMER, Role.CUSTOMER, True),
    ],
)
def test_staff_roles_include_lower_ones_and_customers_stand_apart(
    role: Role, needed: Role, allowed: bool
) -> None:
    assert Principal(sub="x", role=role).has_at_least(needed) is allowed
