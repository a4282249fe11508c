"""Optimistic concurrency on PATCH and DELETE: If-Match required (428), stale versions 412."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from shared.identity import Role
from tests.services.admin.back_office import ENTITIES, PRODUCTS, Entity, as_role, create

by_name = pytest.mark.parametrize("entity", ENTITIES, ids=lambda entity: entity.plural)


@by_name
async def test_writes_without_if_match_are_428_and_change_nothing(
    admin_client: AsyncClient, entity: Entity
) -> None:
    await create(admin_client, entity, "K-1")
    patched = await admin_client.patch(
        entity.item_url("K-1"), json=entity.change, headers=as_role(Role.ADMIN)
    )
    assert patched.status_code == 428
    assert patched.headers["content-type"] == "application/problem+json"
    assert "If-Match" in patched.json()["detail"]
    deleted = await admin_client.delete(entity.item_url("K-1"), headers=as_role(Role.ADMIN))
    assert deleted.status_code == 428
    row = await admin_client.get(entity.item_url("K-1"), headers=as_role(Role.ADMIN))
    assert row.json()["version"] == 1


@by_name
async def test_a_stale_etag_is_412_with_the_current_etag(
    admin_client: AsyncClient, entity: Entity
) -> None:
    await create(admin_client, entity, "K-1")
    first = await admin_client.patch(
        entity.item_url("K-1"),
        json=entity.change,
        headers=as_role(Role.EDITOR, **{"If-Match": '"1"'}),
    )
    assert first.status_code == 200
    # A second editor who also read version 1 must not overwrite the first one's change.
    second = await admin_client.patch(
        entity.item_url("K-1"),
        json=entity.change,
        headers=as_role(Role.EDITOR, **{"If-Match": '"1"'}),
    )
    assert second.status_code == 412
    assert second.headers["etag"] == '"2"'
    stale_delete = await admin_client.delete(
        entity.item_url("K-1"), headers=as_role(Role.ADMIN, **{"If-Match": '"1"'})
    )
    assert stale_delete.status_code == 412
    assert (await admin_client.get(entity.item_url("K-1"), headers=as_role(Role.ADMIN))).json()[
        "version"
    ] == 2


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ('"1"', 200),
        ('"7", "1"', 200),
        ("*", 200),
        ('W/"1"', 412),
        ("1", 412),
        ('"abc"', 412),
    ],
)
async def test_if_match_forms(admin_client: AsyncClient, if_match: str, status: int) -> None:
    await create(admin_client, PRODUCTS, "P-1")
    response = await admin_client.patch(
        PRODUCTS.item_url("P-1"),
        json=PRODUCTS.change,
        headers=as_role(Role.EDITOR, **{"If-Match": if_match}),
    )
    assert response.status_code == status
