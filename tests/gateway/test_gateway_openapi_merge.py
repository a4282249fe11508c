"""merge_openapi: routes filtered per service, clashing components renamed consistently."""

from __future__ import annotations

from typing import Any

from gateway.openapi import merge_openapi


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _document(path: str, item_properties: dict[str, Any]) -> dict[str, Any]:
    response = {"200": {"content": {"application/json": {"schema": _ref("Page")}}}}
    return {
        "openapi": "3.1.0",
        "paths": {path: {"get": {"responses": response}}, "/healthz": {"get": {}}},
        "components": {
            "schemas": {
                # Identical text in both documents, but it points at the clashing `Item`.
                "Page": {"type": "object", "properties": {"data": _ref("Item")}},
                "Item": {"type": "object", "properties": item_properties},
                "Problem": {"type": "object", "properties": {"title": {"type": "string"}}},
            }
        },
        "tags": [{"name": "shared-tag"}],
    }


def _schema_of(merged: dict[str, Any], path: str) -> dict[str, Any]:
    ref = merged["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    page_name = ref["schema"]["$ref"].rsplit("/", 1)[1]
    page = merged["components"]["schemas"][page_name]
    item: dict[str, Any] = merged["components"]["schemas"][
        page["properties"]["data"]["$ref"].rsplit("/", 1)[1]
    ]
    return item


def test_clash_renames_the_component_and_everything_that_refers_to_it() -> None:
    admin = _document("/api/admin/items", {"a": {"type": "integer"}})
    loyalty = _document("/api/loyalty/items", {"b": {"type": "string"}})

    merged = merge_openapi([(("admin",), admin), (("loyalty",), loyalty)], [])

    assert set(_schema_of(merged, "/api/admin/items")["properties"]) == {"a"}
    assert set(_schema_of(merged, "/api/loyalty/items")["properties"]) == {"b"}
    # Identical components are shared, not duplicated.
    assert "loyalty_Problem" not in merged["components"]["schemas"]
    assert merged["tags"] == [{"name": "shared-tag"}]


def test_only_routes_the_gateway_forwards_to_that_service_are_kept() -> None:
    transparency = _document("/api/trust/items", {"a": {"type": "integer"}})
    transparency["paths"]["/api/admin/items"] = {"get": {}}

    merged = merge_openapi([(("transparency", "trust"), transparency)], ["reminders"])

    assert set(merged["paths"]) == {"/api/trust/items"}
    assert merged["x-unavailable-services"] == ["reminders"]


def test_service_documents_are_not_modified() -> None:
    admin = _document("/api/admin/items", {"a": {"type": "integer"}})
    loyalty = _document("/api/loyalty/items", {"b": {"type": "string"}})
    before = repr(loyalty)

    merge_openapi([(("admin",), admin), (("loyalty",), loyalty)], [])

    assert repr(loyalty) == before
