"""/api/admin/{products,customers,orders}: every operation's success and failure paths."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from shared.identity import Role
from tests.services.admin.back_office import (
    CUSTOMERS,
    ENTITIES,
    ORDERS,
    PRODUCTS,
    Entity,
    as_role,
    create,
)

PROBLEM = "application/problem+json"
by_name = pytest.mark.parametrize("entity", ENTITIES, ids=lambda entity: entity.plural)


@by_name
async def test_create_answers_201_with_location_etag_and_the_row(
    admin_client: AsyncClient, entity: Entity
) -> None:
    response = await admin_client.post(
        entity.url, json=entity.payload("K-1"), headers=as_role(Role.EDITOR)
    )
    assert response.status_code == 201
    assert response.headers["location"] == entity.item_url("K-1")
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert body[entity.key] == "K-1"
    assert body["version"] == 1

    fetched = await admin_client.get(response.headers["location"], headers=as_role(Role.VIEWER))
    assert fetched.status_code == 200
    assert fetched.headers["etag"] == '"1"'
    assert fetched.json() == body


@by_name
async def test_creating_an_existing_key_is_a_409_problem(
    admin_client: AsyncClient, entity: Entity
) -> None:
    await create(admin_client, entity, "K-1")
    again = await admin_client.post(
        entity.url, json=entity.payload("K-1"), headers=as_role(Role.EDITOR)
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM
    assert "already exists" in again.json()["detail"]


async def test_a_second_product_with_the_same_sku_is_a_409(admin_client: AsyncClient) -> None:
    await create(admin_client, PRODUCTS, "P-1", sku="TEE-M")
    clash = await admin_client.post(
        PRODUCTS.url, json=PRODUCTS.payload("P-2", sku="TEE-M"), headers=as_role(Role.EDITOR)
    )
    assert clash.status_code == 409
    assert "sku" in clash.json()["detail"]


async def test_customer_emails_are_unique_whatever_their_case(admin_client: AsyncClient) -> None:
    await create(admin_client, CUSTOMERS, "C1", email="ada@example.com")
    clash = await admin_client.post(
        CUSTOMERS.url,
        json=CUSTOMERS.payload("C2", email="ADA@example.com"),
        headers=as_role(Role.EDITOR),
    )
    assert clash.status_code == 409
    await create(admin_client, CUSTOMERS, "C3", email="bob@example.com")
    taken = await admin_client.patch(
        CUSTOMERS.item_url("C3"),
        json={"email": "Ada@Example.com"},
        headers=as_role(Role.EDITOR, **{"If-Match": '"1"'}),
    )
    assert taken.status_code == 409


@by_name
async def test_unknown_body_fields_are_a_422_problem(
    admin_client: AsyncClient, entity: Entity
) -> None:
    created = await admin_client.post(
        entity.url, json={**entity.payload("K-1"), "is_admin": True}, headers=as_role(Role.ADMIN)
    )
    assert created.status_code == 422
    assert created.headers["content-type"] == PROBLEM
    assert created.json()["errors"][0]["loc"] == ["body", "is_admin"]

    await create(admin_client, entity, "K-1")
    patched = await admin_client.patch(
        entity.item_url("K-1"),
        json={**entity.change, "version": 7},
        headers=as_role(Role.ADMIN, **{"If-Match": '"1"'}),
    )
    assert patched.status_code == 422
    assert patched.json()["errors"][0]["loc"] == ["body", "version"]


@pytest.mark.parametrize(
    ("entity", "invalid"),
    [
        (PRODUCTS, {"currency": "usd"}),
        (PRODUCTS, {"currency": "DOLLARS"}),
        (PRODUCTS, {"price": "-0.01"}),
        (PRODUCTS, {"cost": "-1"}),
        (PRODUCTS, {"sustainability_score": 101}),
        (PRODUCTS, {"sustainability_score": -1}),
        (PRODUCTS, {"name": ""}),
        (PRODUCTS, {"product_id": "has spaces"}),
        (CUSTOMERS, {"email": "not-an-address"}),
        (CUSTOMERS, {"timezone": "Mars/Olympus"}),
        (CUSTOMERS, {"preferred_channel": "pigeon"}),
        (ORDERS, {"status": "lost"}),
        (ORDERS, {"channel": "fax"}),
        (ORDERS, {"total_amount": "-5"}),
        (ORDERS, {"order_date": "2026-11-26T10:15:00"}),
    ],
    ids=lambda value: value.plural if isinstance(value, Entity) else next(iter(value)),
)
async def test_invalid_values_are_refused_with_422(
    admin_client: AsyncClient, entity: Entity, invalid: dict[str, Any]
) -> None:
    response = await admin_client.post(
        entity.url, json=entity.payload("K-1", **invalid), headers=as_role(Role.EDITOR)
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    field = next(iter(invalid))
    assert any(
        error["loc"][-1] == field or field in error["loc"] for error in response.json()["errors"]
    )


@by_name
async def test_get_of_a_missing_key_is_a_404_problem(
    admin_client: AsyncClient, entity: Entity
) -> None:
    response = await admin_client.get(entity.item_url("nope"), headers=as_role(Role.VIEWER))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


@by_name
async def test_patch_changes_only_the_fields_sent_and_bumps_the_etag(
    admin_client: AsyncClient, entity: Entity
) -> None:
    original = (await create(admin_client, entity, "K-1")).json()
    response = await admin_client.patch(
        entity.item_url("K-1"),
        json=entity.change,
        headers=as_role(Role.EDITOR, **{"If-Match": '"1"'}),
    )
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    updated = response.json()
    unchanged = {"version", "updated_at", *entity.change}
    assert {k: v for k, v in updated.items() if k not in unchanged} == {
        k: v for k, v in original.items() if k not in unchanged
    }
    assert {k: updated[k] for k in entity.change} == entity.change
    assert updated["version"] == 2
    assert updated["updated_at"] >= original["updated_at"]


@by_name
async def test_patch_of_a_missing_key_is_a_404(admin_client: AsyncClient, entity: Entity) -> None:
    response = await admin_client.patch(
        entity.item_url("nope"),
        json=entity.change,
        headers=as_role(Role.EDITOR, **{"If-Match": '"1"'}),
    )
    assert response.status_code == 404


async def test_empty_patch_and_nulling_a_required_field_are_422(
    admin_client: AsyncClient,
) -> None:
    await create(admin_client, PRODUCTS, "P-1")
    headers = as_role(Role.EDITOR, **{"If-Match": '"1"'})
    empty = await admin_client.patch(PRODUCTS.item_url("P-1"), json={}, headers=headers)
    assert empty.status_code == 422
    nulled = await admin_client.patch(
        PRODUCTS.item_url("P-1"), json={"name": None}, headers=headers
    )
    assert nulled.status_code == 422
    assert "name" in nulled.text
    cleared = await admin_client.patch(
        PRODUCTS.item_url("P-1"), json={"cost": None}, headers=headers
    )
    assert cleared.status_code == 200
    assert cleared.json()["cost"] is None


@by_name
async def test_delete_removes_the_row(admin_client: AsyncClient, entity: Entity) -> None:
    await create(admin_client, entity, "K-1")
    response = await admin_client.delete(
        entity.item_url("K-1"), headers=as_role(Role.ADMIN, **{"If-Match": '"1"'})
    )
    assert response.status_code == 204
    assert response.content == b""
    gone = await admin_client.get(entity.item_url("K-1"), headers=as_role(Role.ADMIN))
    assert gone.status_code == 404
    again = await admin_client.delete(
        entity.item_url("K-1"), headers=as_role(Role.ADMIN, **{"If-Match": '"1"'})
    )
    assert again.status_code == 404


async def test_list_filters_searches_sorts_and_pages(admin_client: AsyncClient) -> None:
    await create(admin_client, PRODUCTS, "P-1", name="Linen shirt", price="40.00")
    await create(admin_client, PRODUCTS, "P-2", name="Wool scarf", price="25.00")
    await create(admin_client, PRODUCTS, "P-3", name="Linen trousers", price="60.00")
    await create(admin_client, PRODUCTS, "P-4", name="Cap", category="hats", price="10.00")
    viewer = as_role(Role.VIEWER)

    everything = (await admin_client.get(PRODUCTS.url, headers=viewer)).json()
    assert everything["count"] == 4
    assert [row["name"] for row in everything["data"]] == [
        "Cap",
        "Linen shirt",
        "Linen trousers",
        "Wool scarf",
    ]
    searched = await admin_client.get(
        PRODUCTS.url, params={"q": "LINEN", "sort": "-price"}, headers=viewer
    )
    assert [row["product_id"] for row in searched.json()["data"]] == ["P-3", "P-1"]
    filtered = await admin_client.get(
        PRODUCTS.url,
        params={"category": "apparel", "price_min": "25", "price_max": "40"},
        headers=viewer,
    )
    assert {row["product_id"] for row in filtered.json()["data"]} == {"P-1", "P-2"}
    paged = (
        await admin_client.get(
            PRODUCTS.url, params={"sort": "price", "limit": 2, "offset": 1}, headers=viewer
        )
    ).json()
    assert (paged["count"], paged["limit"], paged["offset"]) == (4, 2, 1)
    assert [row["product_id"] for row in paged["data"]] == ["P-2", "P-1"]


async def test_search_treats_like_wildcards_as_text(admin_client: AsyncClient) -> None:
    await create(admin_client, PRODUCTS, "P-1", name="100% wool")
    await create(admin_client, PRODUCTS, "P-2", name="1000 threads")
    found = await admin_client.get(PRODUCTS.url, params={"q": "0%"}, headers=as_role(Role.VIEWER))
    assert [row["product_id"] for row in found.json()["data"]] == ["P-1"]


async def test_order_list_filters_by_date_range_status_and_customer(
    admin_client: AsyncClient,
) -> None:
    await create(admin_client, ORDERS, "O-1", order_date="2026-11-01T10:00:00Z", status="paid")
    await create(admin_client, ORDERS, "O-2", order_date="2026-11-02T10:00:00Z", status="paid")
    await create(
        admin_client, ORDERS, "O-3", order_date="2026-11-03T10:00:00Z", customer_id="C00002"
    )
    viewer = as_role(Role.VIEWER)
    ranged = await admin_client.get(
        ORDERS.url,
        params={
            "order_date_from": "2026-11-02T00:00:00Z",
            "order_date_before": "2026-11-04T00:00:00Z",
        },
        headers=viewer,
    )
    assert [row["order_id"] for row in ranged.json()["data"]] == ["O-3", "O-2"]
    by_customer = await admin_client.get(
        ORDERS.url, params={"customer_id": "C00002"}, headers=viewer
    )
    assert [row["order_id"] for row in by_customer.json()["data"]] == ["O-3"]
    bad_status = await admin_client.get(ORDERS.url, params={"status": "lost"}, headers=viewer)
    assert bad_status.status_code == 422


@by_name
@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"sort": "password"}, "not valid"),
        ({"sort": "name;drop table x"}, "not valid"),
        ({"limit": 501}, "not valid"),
        ({"offset": -1}, "not valid"),
        ({"q": "x" * 101}, "not valid"),
    ],
)
async def test_bad_list_queries_are_422_problems(
    admin_client: AsyncClient, entity: Entity, params: dict[str, Any], fragment: str
) -> None:
    response = await admin_client.get(entity.url, params=params, headers=as_role(Role.VIEWER))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert fragment in response.json()["detail"]


async def test_openapi_names_documents_and_exemplifies_every_operation(
    admin_client: AsyncClient,
) -> None:
    spec = (await admin_client.get("/openapi.json")).json()
    operations = {
        operation["operationId"]: operation
        for path in spec["paths"].values()
        for operation in path.values()
    }
    for entity in ENTITIES:
        expected = {
            f"admin_list_{entity.plural}": {"401", "403", "422"},
            f"admin_get_{entity.noun}": {"401", "403", "404"},
            f"admin_create_{entity.noun}": {"401", "403", "409", "422"},
            f"admin_update_{entity.noun}": {"401", "403", "404", "412", "422", "428"},
            f"admin_delete_{entity.noun}": {"401", "403", "404", "412", "428"},
            f"admin_export_{entity.plural}_csv": {"401", "403", "422"},
            f"admin_export_{entity.plural}_xlsx": {"401", "403", "422"},
        }
        for operation_id, statuses in expected.items():
            operation = operations[operation_id]
            assert operation["tags"] == [f"admin-{entity.plural}"]
            assert statuses <= set(operation["responses"])
            assert "application/problem+json" in operation["responses"]["403"]["content"]
    assert operations["admin_list_audit_entries"]["tags"] == ["admin-audit"]
    schemas = spec["components"]["schemas"]
    for name in ("ProductCreate", "ProductUpdate", "CustomerCreate", "OrderCreate"):
        assert schemas[name]["examples"]
        assert schemas[name]["additionalProperties"] is False
    assert len(operations) == len(set(operations))


def test_order_statuses_and_channels_are_the_generators() -> None:
    from typing import get_args

    from flows.generator.orders import ORDER_STATUSES, SALES_CHANNELS
    from services.admin.entities.orders import OrderStatus, SalesChannel

    assert get_args(OrderStatus) == ORDER_STATUSES
    assert get_args(SalesChannel) == SALES_CHANNELS
