"""The merged OpenAPI document, built once and rebuilt only when a service's document changes.

Building it means fetching every service's document and merging them: far too much work for
each request of a public route. The gateway keeps the merged document serialised with its
ETag and, at most every `refresh_s` seconds and only when asked for it, revalidates each
service's document with `If-None-Match` (a 304 costs the service nothing). A changed, new or
vanished service document makes a new merge; concurrent callers share one revalidation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from gateway.openapi import merge_openapi
from gateway.upstreams import probe_timeout, services_by_url
from shared.openapi_schema import etag_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceDocument:
    """A service's document as last fetched (None: unavailable) and its ETag."""

    document: dict[str, Any] | None
    etag: str | None = None


@dataclass(frozen=True)
class MergedDocument:
    """The merged document, serialised, and its ETag."""

    body: bytes
    etag: str


UNAVAILABLE = ServiceDocument(None)


async def revalidate_document(
    session: aiohttp.ClientSession, base_url: str, known: ServiceDocument, timeout_s: float
) -> ServiceDocument:
    """The service's current document: `known` again when the service answers 304."""
    headers = {"Accept-Encoding": "identity"}  # the session does not decompress
    if known.etag is not None:
        headers["If-None-Match"] = known.etag
    try:
        async with session.get(
            f"{base_url}/openapi.json",
            timeout=probe_timeout(timeout_s),
            allow_redirects=False,
            headers=headers,
        ) as response:
            if response.status == 304 and known.document is not None:
                return known
            if response.status != 200:
                return UNAVAILABLE
            body = await response.read()
            document = json.loads(body)
            etag = response.headers.get("ETag") or etag_of(body)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        logger.info("OpenAPI of %s unavailable: %r", base_url, error)
        return UNAVAILABLE
    return ServiceDocument(document, etag) if isinstance(document, dict) else UNAVAILABLE


class MergedOpenApiCache:
    """Holds the merged document of the services behind `upstreams` (see the module doc)."""

    def __init__(self, upstreams: dict[str, str], *, timeout_s: float, refresh_s: float) -> None:
        self._groups = services_by_url(upstreams)
        self._timeout_s = timeout_s
        self._refresh_s = refresh_s
        self._documents: dict[str, ServiceDocument] = dict.fromkeys(self._groups, UNAVAILABLE)
        self._merged: MergedDocument | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    def _is_fresh(self) -> bool:
        return self._merged is not None and time.monotonic() - self._checked_at < self._refresh_s

    async def current(self, session: aiohttp.ClientSession) -> MergedDocument:
        """The merged document, revalidated first if it is older than `refresh_s`."""
        if not self._is_fresh():
            async with self._lock:
                # Another caller may have revalidated while this one waited for the lock.
                if not self._is_fresh():
                    await self._revalidate(session)
        assert self._merged is not None  # set by the first revalidation
        return self._merged

    async def _revalidate(self, session: aiohttp.ClientSession) -> None:
        urls = list(self._groups)
        fetched = await asyncio.gather(
            *(
                revalidate_document(session, url, self._documents[url], self._timeout_s)
                for url in urls
            )
        )
        latest = dict(zip(urls, fetched, strict=True))
        changed = any(latest[url].etag != self._documents[url].etag for url in urls)
        if self._merged is None or changed:
            self._documents = latest
            self._merged = self._merge()
        self._checked_at = time.monotonic()

    def _merge(self) -> MergedDocument:
        documents: list[tuple[Sequence[str], dict[str, Any]]] = []
        unavailable: list[str] = []
        for url, names in self._groups.items():
            document = self._documents[url].document
            if document is None:
                unavailable.extend(names)
            else:
                documents.append((names, document))
        body = json.dumps(merge_openapi(documents, unavailable), separators=(",", ":")).encode()
        return MergedDocument(body, etag_of(body))
