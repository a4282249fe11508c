"""One OpenAPI document for the whole `/api`, merged from the services' own documents."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from shared.openapi_components import SERVERS, SHARED_COMPONENTS
from shared.openapi_limits import document_limits

OPENAPI_VERSION = "3.1.0"
UNAVAILABLE_EXTENSION = "x-unavailable-services"


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    """A copy of `node` with every string equal to a renamed `$ref` target replaced."""
    if isinstance(node, dict):
        return {key: _rewrite_refs(value, renames) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(value, renames) for value in node]
    if isinstance(node, str):
        return renames.get(node, node)
    return node


def _sections(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    components = document.get("components")
    if not isinstance(components, dict):
        return {}
    return {name: entries for name, entries in components.items() if isinstance(entries, dict)}


def _namespaced(
    document: dict[str, Any], merged_components: dict[str, dict[str, Any]], label: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """`document` with each component renamed `<Label><Name>`, and the renames made.

    Names then stay the same whatever the other services declare, so generated clients keep
    their class names. Only the components every service shares (`shared/`'s) keep their
    names, unless a service declares one differently (a version skew), which is namespaced too.
    """
    prefix = label[:1].upper() + label[1:]
    renames: dict[str, str] = {}
    for section, entries in _sections(document).items():
        existing = merged_components.get(section, {})
        for name, definition in entries.items():
            shared = section == "schemas" and name in SHARED_COMPONENTS
            if shared and existing.get(name, definition) == definition:
                continue
            renames[f"#/components/{section}/{name}"] = f"#/components/{section}/{prefix}{name}"
    return _rewrite_refs(document, renames), renames


def _merge_document(merged: dict[str, Any], document: dict[str, Any], names: Sequence[str]) -> None:
    """Add one service's routes (only those the gateway forwards to it) and components."""
    components: dict[str, dict[str, Any]] = merged["components"]
    rewritten, renames = _namespaced(document, components, names[0])
    for section, entries in _sections(rewritten).items():
        target = components.setdefault(section, {})
        for name, definition in entries.items():
            renamed = renames.get(f"#/components/{section}/{name}")
            if renamed is None:
                target[name] = definition
                continue
            new_name = renamed.rsplit("/", 1)[1]
            # Generators name classes after the title: the title carries the namespace too.
            if section == "schemas" and isinstance(definition, dict):
                definition = {**definition, "title": new_name}
            target[new_name] = definition
    # Operational routes (/healthz, /metrics, ...) are not reachable through the gateway.
    prefixes = tuple(f"/api/{name}/" for name in names)
    paths = rewritten.get("paths")
    if isinstance(paths, dict):
        merged["paths"].update(
            {path: item for path, item in paths.items() if path.startswith(prefixes)}
        )
    known_tags = {tag.get("name") for tag in merged["tags"]}
    for tag in rewritten.get("tags") or []:
        if isinstance(tag, dict) and tag.get("name") not in known_tags:
            merged["tags"].append(tag)
            known_tags.add(tag.get("name"))


def merge_openapi(
    documents: Sequence[tuple[Sequence[str], dict[str, Any]]], unavailable: Sequence[str]
) -> dict[str, Any]:
    """Merge (service names, OpenAPI document) pairs into one document for the gateway's API."""
    merged: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Ecom platform API",
            "version": "0.1.0",
            "description": (
                "Every service's routes as served through the gateway. Send a bearer token to "
                "act as a signed-in caller; without one the call is anonymous."
            ),
        },
        "servers": SERVERS,
        "paths": {},
        # Declared before merging; a service's own `bearerAuth` would be namespaced.
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
        # Signing in is optional at the gateway; the services decide per route.
        "security": [{}, {"bearerAuth": []}],
        "tags": [],
    }
    for names, document in documents:
        # Deep copy: the merged document must not share (and later mutate) a service's objects.
        _merge_document(merged, copy.deepcopy(document), names)
    merged[UNAVAILABLE_EXTENSION] = sorted(unavailable)
    # The gateway's rate limit may refuse any call (the services' own limits came with them).
    return document_limits(merged, rate_limited=True)
