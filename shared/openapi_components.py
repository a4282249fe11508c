"""Shape a service's OpenAPI document for client generators (openapi-python-client,
datamodel-code-generator, openapi-typescript): one component per shared type, typed errors, no
dead components, a `servers` entry.

- A field type annotated with `named_schema(name, schema)`, or a `Literal` passed to
  `publish_enum`, appears once as `components/schemas/<name>` and every use is a `$ref` to it
  (pydantic inlines both into every model, and generators then emit one class per use).
- Every declared error answers `application/problem+json` with the `Problem` schema and an
  example of its own status; FastAPI files a response model under `application/json`, which is
  not what the server sends.
- Components nothing refers to any more (query-parameter models once spelled out) are dropped.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, get_args

from pydantic import WithJsonSchema

from shared.problems import PROBLEM_MEDIA_TYPE

COMPONENT_MARKER = "x-component"
SCHEMA_REFERENCE = "#/components/schemas/"
PROBLEM_REFERENCE = f"{SCHEMA_REFERENCE}Problem"
JSON_MEDIA_TYPE = "application/json"
# Components every service declares alike (from `shared/`): the gateway's merged document keeps
# their names; every other component is namespaced by its service there.
SHARED_COMPONENTS = frozenset({"Problem", "TimeZone"})
# Relative to where the document is served: the service itself, or the gateway for the merged one.
SERVERS = [{"url": "/", "description": "The host that serves this document."}]


# Each named schema as declared, by name: the component's content.
_DECLARED: dict[str, dict[str, Any]] = {}


def named_schema(name: str, schema: dict[str, Any]) -> WithJsonSchema:
    """Annotation: a type whose JSON schema is `schema`, published once as component `name`."""
    if _DECLARED.setdefault(name, schema) != schema:
        raise ValueError(f"two different schemas are named {name!r}")
    return WithJsonSchema({COMPONENT_MARKER: name, **schema})


# Each published enumeration by its values: the component's name.
_ENUMS: dict[tuple[str, ...], str] = {}


def publish_enum(name: str, values: Any) -> None:
    """Publish a `Literal` of strings once as component `name`; every use refers to it."""
    key = tuple(get_args(values))
    if _ENUMS.setdefault(key, name) != name:
        raise ValueError(f"{name!r} has the values of {_ENUMS[key]!r}; use that type")


def _enum_name(node: dict[str, Any]) -> str | None:
    values = node.get("enum")
    if "$ref" in node or not isinstance(values, list):
        return None
    return _ENUMS.get(tuple(values))


def _hoisted(node: Any, added: dict[str, Any]) -> Any:
    """`node` with every marked schema replaced by a `$ref` (its component put in `added`).

    The marked schema may carry keys pydantic added for the field (title, description, default):
    those stay beside the `$ref`; the declared schema is the component.
    """
    if isinstance(node, list):
        return [_hoisted(item, added) for item in node]
    if not isinstance(node, dict):
        return node
    if COMPONENT_MARKER in node:
        name = node[COMPONENT_MARKER]
        declared = _DECLARED[name]
        added[name] = {"title": name, **declared}
        field_keys = {
            key: value
            for key, value in node.items()
            if key != COMPONENT_MARKER and declared.get(key, object()) != value
        }
        return {"$ref": f"{SCHEMA_REFERENCE}{name}", **field_keys}
    enum_name = _enum_name(node)
    if enum_name is not None:
        added[enum_name] = {"title": enum_name, "type": "string", "enum": node["enum"]}
        field_keys = {key: value for key, value in node.items() if key not in ("enum", "type")}
        return {"$ref": f"{SCHEMA_REFERENCE}{enum_name}", **field_keys}
    return {key: _hoisted(value, added) for key, value in node.items()}


def _problem_example(status: int) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase
    return {"type": "about:blank", "title": phrase, "status": status, "detail": f"{phrase}."}


def _typed_errors(operation: dict[str, Any]) -> None:
    """Every 4xx/5xx of `operation` as `application/problem+json` with the `Problem` schema."""
    for status, response in operation.get("responses", {}).items():
        if not (status.isdigit() and int(status) >= 400):
            continue
        response["content"] = {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": PROBLEM_REFERENCE},
                "example": _problem_example(int(status)),
            }
        }


def _references(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith(SCHEMA_REFERENCE):
            found.add(reference.removeprefix(SCHEMA_REFERENCE))
        for value in node.values():
            _references(value, found)
    elif isinstance(node, list):
        for value in node:
            _references(value, found)


def _without_dead_components(document: dict[str, Any]) -> None:
    """Drop schemas that no path refers to, directly or through other schemas."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    live: set[str] = set()
    _references(document.get("paths", {}), live)
    pending = set(live)
    while pending:
        reached: set[str] = set()
        for name in pending:
            _references(schemas.get(name, {}), reached)
        pending = reached - live
        live |= reached
    for name in set(schemas) - live:
        del schemas[name]


def shape_for_clients(document: dict[str, Any]) -> dict[str, Any]:
    """Apply the rules above to an OpenAPI document, in place; returns it."""
    components = document.setdefault("components", {})
    added: dict[str, Any] = {}
    document["paths"] = _hoisted(document.get("paths", {}), added)
    components["schemas"] = {**_hoisted(components.get("schemas", {}), added), **added}
    for path_item in document["paths"].values():
        for operation in path_item.values():
            _typed_errors(operation)
    _without_dead_components(document)
    components["schemas"] = dict(sorted(components["schemas"].items()))
    document["servers"] = SERVERS
    return document
