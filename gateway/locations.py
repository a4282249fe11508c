"""Upstream `Location` headers that name a service's internal address become public paths.

A service knows only its own host and port; a redirect or `201 Created` pointing there would
send the client past the gateway (or leak the address). Services serve the same `/api/...`
paths the gateway does, so dropping the origin leaves the public path (RFC 9110 allows a
relative `Location`).
"""

from __future__ import annotations

from yarl import URL


def public_location(value: bytes, upstream: URL) -> bytes:
    """`value` without the origin when it is absolute and names `upstream`'s origin."""
    text = value.decode("latin-1")
    try:
        target = URL(text, encoded=True)
    except ValueError:
        return value
    if not target.is_absolute() or target.origin() != upstream.origin():
        return value
    path = target.raw_path or "/"
    query = f"?{target.raw_query_string}" if target.raw_query_string else ""
    fragment = f"#{target.raw_fragment}" if target.raw_fragment else ""
    return f"{path}{query}{fragment}".encode("latin-1")
