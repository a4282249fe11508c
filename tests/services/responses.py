"""Callers and response checks shared by every service's API tests."""

from __future__ import annotations

from typing import Any

from httpx import Response

from shared.identity import Role
from tests.services.conftest import identity_headers

PROBLEM = "application/problem+json"


def as_role(role: Role | None, sub: str = "tester") -> dict[str, str]:
    """Identity headers for `role`; none for an anonymous caller."""
    return identity_headers(role, sub) if role is not None else {}


def viewer() -> dict[str, str]:
    """A viewer's identity headers, signed now (assertions expire within a minute)."""
    return as_role(Role.VIEWER)


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    """The response is a problem document with `status`; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def page_of(response: Response) -> dict[str, Any]:
    """The body of a successful list response."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
