"""Post-processing of each service's OpenAPI document so it describes what the service accepts.

- A query-parameter model (one `$ref` parameter) is spelled out as one parameter per field, as
  it arrives on the wire (`?status=paid&region=eu`).
- A query parameter is absent or a value; it is never JSON `null`. FastAPI documents optional
  parameters as `anyOf: [T, null]`, which makes clients (and fuzzers) send the text "null".
- `If-Match` is documented as required and non-empty on PATCH and DELETE: without it they are
  refused with 428 (PUT creates or replaces, so If-Match stays optional there).
- Free-text path and query parameters say they cannot hold NUL characters, which PostgreSQL
  cannot store and `RefuseNulCharacters` turns away with a 422.
- PATCH bodies document `null` only for the fields that may be nulled (see `PatchModel`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.openapi_components import shape_for_clients
from shared.openapi_limits import document_limits
from shared.problems import problem_response

REQUIRED_HEADERS = {"if-match"}
METHODS_REQUIRING_HEADERS = {"patch", "delete"}
SCHEMA_REFERENCE = "#/components/schemas/"
NO_NUL_PATTERN = r"^[^\x00]*$"


def without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` without its `null` alternative (and a `null` default)."""
    branches = schema.get("anyOf")
    if not branches:
        return schema
    kept = [branch for branch in branches if branch.get("type") != "null"]
    rest = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    if len(kept) == 1:
        return {**kept[0], **rest}
    return {**rest, "anyOf": kept}


def _spelled_out(parameter: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    """One parameter per field of a query-parameter model; other parameters as they are."""
    reference = parameter.get("schema", {}).get("$ref", "")
    if parameter.get("in") != "query" or not reference.startswith(SCHEMA_REFERENCE):
        return [parameter]
    model = components[reference.removeprefix(SCHEMA_REFERENCE)]
    required = set(model.get("required", ()))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": field,
            **({"description": field["description"]} if "description" in field else {}),
        }
        for name, field in model.get("properties", {}).items()
    ]


def _free_text_without_nul(schema: dict[str, Any]) -> dict[str, Any]:
    constrained = {"pattern", "enum", "format", "const"} & schema.keys()
    if schema.get("type") == "string" and not constrained:
        return {**schema, "pattern": NO_NUL_PATTERN}
    return schema


def _tidied(parameter: dict[str, Any], method: str) -> dict[str, Any]:
    location, name = parameter.get("in"), parameter.get("name", "").lower()
    if location in ("query", "path") and "schema" in parameter:
        schema = _free_text_without_nul(without_null(parameter["schema"]))
        return {**parameter, "schema": schema}
    if location == "header" and name in REQUIRED_HEADERS and method in METHODS_REQUIRING_HEADERS:
        schema = {**without_null(parameter.get("schema", {})), "minLength": 1, "pattern": r"\S"}
        return {**parameter, "required": True, "schema": schema}
    return parameter


def tidy_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """Apply the rules above to an OpenAPI document, in place; returns it."""
    components = document.get("components", {}).get("schemas", {})
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if "parameters" in operation:
                operation["parameters"] = [
                    _tidied(spelled, method)
                    for parameter in operation["parameters"]
                    for spelled in _spelled_out(parameter, components)
                ]
    return document


class RefuseNulCharacters:
    """Pure ASGI: a 422 problem for a NUL character in the path or query string."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
            if b"%00" in raw or b"\x00" in raw:
                detail = "NUL characters are not allowed in the path or query string."
                response = problem_response(422, detail, Request(scope))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def etag_of(body: bytes) -> str:
    """A strong ETag for a served document's bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def install_tidy_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` return the tidied document, shaped for client generators (built
    once, then cached by FastAPI), and serve it with an ETag: the gateway revalidates its merged
    document with If-None-Match, and a 304 costs nothing."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = shape_for_clients(document_limits(tidy_openapi(build())))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    if app.openapi_url is None:
        return
    served: list[tuple[bytes, str]] = []

    async def openapi_document(request: Request) -> Response:
        if not served:
            body = json.dumps(app.openapi(), separators=(",", ":")).encode()
            served.append((body, etag_of(body)))
        body, etag = served[0]
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    url = app.openapi_url
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != url]
    app.add_route(url, openapi_document, include_in_schema=False)
