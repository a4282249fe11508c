"""Sending a request upstream, once more when a pooled connection turned out to be dead.

A kept-alive connection can die while idle in the pool (the service closed it, restarted, or
dropped it after an error); the request written to it then fails before any response byte.
RFC 9112 section 9.3.1 allows retrying such a request only when it is idempotent, and the gateway
retries only reads (GET, HEAD, OPTIONS), once: a PUT or DELETE may have been applied before the
connection broke, and replaying it with the same If-Match would turn success into a 412.
aiohttp's own retry (which includes PUT and DELETE) is switched off in `upstreams.py`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from yarl import URL

logger = logging.getLogger(__name__)

RETRIED_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _dead_connection(error: Exception) -> bool:
    # ClientConnectorError (a ClientOSError) is a failed connect: nothing was pooled, and the
    # caller answers it as 503. What remains broke on an established connection.
    if isinstance(error, aiohttp.ClientConnectorError):
        return False
    return isinstance(error, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError))


async def send_upstream(
    session: aiohttp.ClientSession,
    method: str,
    url: URL,
    *,
    headers: list[tuple[str, str]],
    body: bytes | AsyncIterator[bytes] | None,
    **options: Any,
) -> aiohttp.ClientResponse:
    """`session.request(...)`, sent once more for a read whose connection died unanswered."""
    # A streamed body cannot be replayed; the reads the gateway forwards have none anyway.
    retryable = method in RETRIED_METHODS and not isinstance(body, AsyncIterator)
    try:
        return await session.request(method, url, headers=headers, data=body, **options)
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
        if not (retryable and _dead_connection(error)):
            raise
        logger.info("retrying %s %s on a new connection after %r", method, url.path, error)
    return await session.request(method, url, headers=headers, data=body, **options)
