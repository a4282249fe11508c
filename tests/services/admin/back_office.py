"""Sample rows and small helpers shared by the back-office tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from httpx import AsyncClient, Response

from shared.identity import Role
from tests.services.conftest import identity_headers


@dataclass(frozen=True)
class Entity:
    """One back-office resource as the tests drive it."""

    plural: str
    noun: str
    key: str
    sample: dict[str, Any]
    change: dict[str, Any]

    @property
    def url(self) -> str:
        """The collection URL."""
        return f"/api/admin/{self.plural}"

    def item_url(self, key: str) -> str:
        """The URL of one row."""
        return f"{self.url}/{key}"

    def payload(self, key: str, **overrides: Any) -> dict[str, Any]:
        """The sample row under another key (unique values made unique too)."""
        body = {**self.sample, self.key: key, **overrides}
        if self.plural == "products" and "sku" not in overrides:
            body["sku"] = f"SKU-{key}"
        if self.plural == "customers" and "email" not in overrides:
            body["email"] = f"{key.lower()}@example.com"
        return body


PRODUCTS = Entity(
    plural="products",
    noun="product",
    key="product_id",
    sample={
        "product_id": "P-1",
        "sku": "SKU-P-1",
        "name": "Organic cotton tee",
        "category": "apparel",
        "price": "24.90",
        "cost": "9.80",
        "currency": "USD",
        "sustainability_score": 82,
        "active": True,
    },
    change={"price": "19.90"},
)
CUSTOMERS = Entity(
    plural="customers",
    noun="customer",
    key="customer_id",
    sample={
        "customer_id": "C00001",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "c00001@example.com",
        "country": "GB",
        "region": "north",
        "city": "London",
        "timezone": "Europe/London",
        "preferred_channel": "email",
        "marketing_opt_in": False,
    },
    change={"city": "Manchester"},
)
ORDERS = Entity(
    plural="orders",
    noun="order",
    key="order_id",
    sample={
        "order_id": "O-1",
        "customer_id": "C00001",
        "order_date": "2026-11-26T10:15:00Z",
        "status": "paid",
        "channel": "web",
        "region": "north",
        "currency": "USD",
        "total_amount": "54.20",
    },
    change={"status": "shipped"},
)
ENTITIES = (PRODUCTS, CUSTOMERS, ORDERS)


def as_role(role: Role | None, **extra: str) -> dict[str, str]:
    """Identity headers for `role` (none for anonymous) plus any extra headers."""
    return {**(identity_headers(role) if role is not None else {}), **extra}


async def create(client: AsyncClient, entity: Entity, key: str, **overrides: Any) -> Response:
    """Create a row as an admin and insist it worked."""
    response = await client.post(
        entity.url, json=entity.payload(key, **overrides), headers=as_role(Role.ADMIN)
    )
    assert response.status_code == 201, response.text
    return response
