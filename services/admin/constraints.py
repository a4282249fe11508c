"""The admin schema's constraints in the API's words (see shared/integrity.py).

A test compares these names with the constraints and unique indexes of the tables the API
writes, so that a new constraint cannot reach clients unexplained.
"""

from __future__ import annotations

from shared.integrity import ConstraintMap, ConstraintRule


def _version(table: str) -> dict[str, ConstraintRule]:
    return {f"{table}_version_check": ConstraintRule(("version",), "`version` starts at 1.")}


PRODUCT_CONSTRAINTS: ConstraintMap = {
    "products_pkey": ConstraintRule(
        ("product_id",), "A product with this `product_id` already exists."
    ),
    "products_sku_key": ConstraintRule(("sku",), "Another product already has this `sku`."),
    "products_price_check": ConstraintRule(("price",), "`price` must not be negative."),
    "products_cost_check": ConstraintRule(("cost",), "`cost` must not be negative."),
    "products_currency_check": ConstraintRule(
        ("currency",), "`currency` must be three capital letters (ISO 4217)."
    ),
    "products_sustainability_score_check": ConstraintRule(
        ("sustainability_score",), "`sustainability_score` must be between 0 and 100."
    ),
    **_version("products"),
}

CUSTOMER_CONSTRAINTS: ConstraintMap = {
    "customers_pkey": ConstraintRule(
        ("customer_id",), "A customer with this `customer_id` already exists."
    ),
    "customers_email": ConstraintRule(
        ("email",), "Another customer already has this `email` (compared case-insensitively)."
    ),
    **_version("customers"),
}

ORDER_CONSTRAINTS: ConstraintMap = {
    "orders_pkey": ConstraintRule(("order_id",), "An order with this `order_id` already exists."),
    "orders_currency_check": ConstraintRule(
        ("currency",), "`currency` must be three capital letters (ISO 4217)."
    ),
    "orders_total_amount_check": ConstraintRule(
        ("total_amount",), "`total_amount` must not be negative."
    ),
    **_version("orders"),
}
