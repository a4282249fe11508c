"""The front door's refusals, documented: every operation may be refused 431 (header section too
large, too many header fields), one with a request body 413 (body over its limit), and, through
the gateway, 429 (rate limit, with `Retry-After`). All are problem documents."""

from __future__ import annotations

from typing import Any

from shared.openapi_components import PROBLEM_REFERENCE, _problem_example
from shared.problems import PROBLEM_MEDIA_TYPE

HEADERS_TOO_LARGE = 431
BODY_TOO_LARGE = 413
TOO_MANY_REQUESTS = 429
_DESCRIPTIONS = {
    HEADERS_TOO_LARGE: "The header section is too large, or has too many fields.",
    BODY_TOO_LARGE: "The request body is larger than this route accepts.",
    TOO_MANY_REQUESTS: "Too many requests from this caller or address; retry after Retry-After.",
}
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def limit_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object of one of the front door's refusals."""
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS[status],
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": PROBLEM_REFERENCE},
                "example": _problem_example(status),
            }
        },
    }
    if status == TOO_MANY_REQUESTS:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return response


def document_limits(document: dict[str, Any], *, rate_limited: bool = False) -> dict[str, Any]:
    """Declare, in place, the refusals each operation of `document` may meet; returns it."""
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            statuses = [HEADERS_TOO_LARGE]
            if "requestBody" in operation:
                statuses.append(BODY_TOO_LARGE)
            if rate_limited:
                statuses.append(TOO_MANY_REQUESTS)
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(str(status), limit_response(status))
    return document
