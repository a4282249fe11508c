"""The back-office routers: products, customers and orders, built by the shared CRUD kit."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.admin.entities import customers, orders, products
from services.admin.tables import CHANGE_LOG
from shared.crud import Resource
from shared.crud_api import CrudApi, CrudModels
from shared.crud_router import crud_router


def export_row_cap(request: Request) -> int:
    """The largest export the admin settings allow."""
    cap: int = request.app.state.settings.export_max_rows
    return cap


def _router(noun: str, plural: str, resource: Resource, models: CrudModels) -> APIRouter:
    api = CrudApi(
        service="admin",
        noun=noun,
        plural=plural,
        resource=resource,
        models=models,
        changes=CHANGE_LOG,
        export_row_cap=export_row_cap,
    )
    return crud_router(api, prefix=f"/api/admin/{plural}", tag=f"admin-{plural}")


products_router = _router(
    "product",
    "products",
    products.RESOURCE,
    CrudModels(
        create=products.ProductCreate,
        update=products.ProductUpdate,
        public=products.ProductPublic,
        filters=products.ProductFilters,
    ),
)
customers_router = _router(
    "customer",
    "customers",
    customers.RESOURCE,
    CrudModels(
        create=customers.CustomerCreate,
        update=customers.CustomerUpdate,
        public=customers.CustomerPublic,
        filters=customers.CustomerFilters,
    ),
)
orders_router = _router(
    "order",
    "orders",
    orders.RESOURCE,
    CrudModels(
        create=orders.OrderCreate,
        update=orders.OrderUpdate,
        public=orders.OrderPublic,
        filters=orders.OrderFilters,
    ),
)
