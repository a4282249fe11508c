"""Fixtures for service tests: an app on the test database and callers with signed identities."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from shared.identity import ASSERTION_HEADER, Principal, Role, sign_assertion

INTERNAL_SECRET = "internal-secret-for-service-tests-000"


def identity_headers(role: Role, sub: str = "tester") -> dict[str, str]:
    """Headers the gateway would add for a verified caller."""
    assertion = sign_assertion(Principal(sub=sub, role=role), INTERNAL_SECRET)
    return {ASSERTION_HEADER: assertion}


async def client_for(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """An httpx client talking to `app` in-process, with its lifespan running."""
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://service") as client,
    ):
        yield client


HeadersFor = Callable[[Role], dict[str, str]]
