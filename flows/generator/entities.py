"""The files a batch writes: one CSV per entity, its columns and what each column means.

Column roles tell the fault injector what it may break in a file (a required column to empty, a
number to garble, a timestamp to reformat) without knowing anything about the simulation.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EntitySpec:
    """One landing entity: its CSV columns, business key and column roles."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    required: tuple[str, ...]
    numbers: tuple[str, ...] = ()
    timestamps: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    currency: str | None = None
    text: tuple[str, ...] = ()
    # A column that arrives unannounced in some files (schema drift) and how to fill it.
    drift_column: str | None = None
    parents: dict[str, str] = field(default_factory=dict)

    @property
    def updated_at(self) -> str:
        """Every entity carries `updated_at`: latest wins downstream."""
        return "updated_at"


CUSTOMERS = EntitySpec(
    name="customers",
    columns=(
        "customer_id", "first_name", "last_name", "email", "phone", "address_line", "city",
        "postal_code", "country", "region", "timezone", "customer_type", "preferred_channel",
        "marketing_opt_in", "created_at", "updated_at",
    ),
    key=("customer_id",),
    required=("customer_id", "email", "country", "region", "created_at", "updated_at"),
    timestamps=("created_at", "updated_at"),
    text=("first_name", "last_name", "address_line"),
)  # fmt: skip
PRODUCTS = EntitySpec(
    name="products",
    columns=(
        "product_id", "sku", "name", "category", "brew_method", "price", "cost", "currency",
        "sustainability_score", "weight_grams", "active", "updated_at",
    ),
    key=("product_id",),
    required=("product_id", "name", "category", "price", "currency", "updated_at"),
    numbers=("price", "cost"),
    timestamps=("updated_at",),
    currency="currency",
    text=("name",),
)  # fmt: skip
DISTRIBUTORS = EntitySpec(
    name="distributors",
    columns=(
        "distributor_id", "name", "region", "country", "currency", "sla_days",
        "penalty_per_late_day", "penalty_cap", "contract_start", "updated_at",
    ),
    key=("distributor_id",),
    required=("distributor_id", "name", "region", "sla_days", "updated_at"),
    numbers=("penalty_per_late_day", "penalty_cap"),
    timestamps=("updated_at",),
    dates=("contract_start",),
    currency="currency",
    text=("name",),
)  # fmt: skip
STOCKISTS = EntitySpec(
    name="stockists",
    columns=(
        "stockist_id", "name", "distributor_id", "region", "country", "city", "currency",
        "sla_days", "penalty_per_late_day", "penalty_cap", "updated_at",
    ),
    key=("stockist_id",),
    required=("stockist_id", "name", "distributor_id", "region", "sla_days", "updated_at"),
    numbers=("penalty_per_late_day", "penalty_cap"),
    timestamps=("updated_at",),
    currency="currency",
    text=("name",),
    parents={"distributor_id": "distributors"},
)  # fmt: skip
ORDERS = EntitySpec(
    name="orders",
    columns=(
        "order_id", "customer_id", "order_date", "status", "channel", "region", "currency",
        "subtotal_amount", "discount_amount", "shipping_amount", "tax_amount", "total_amount",
        "stockist_id", "updated_at",
    ),
    key=("order_id",),
    required=(
        "order_id", "customer_id", "order_date", "status", "channel", "region", "currency",
        "total_amount", "updated_at",
    ),
    numbers=("subtotal_amount", "discount_amount", "shipping_amount", "tax_amount", "total_amount"),
    timestamps=("order_date", "updated_at"),
    currency="currency",
    drift_column="discount_code",
    parents={"customer_id": "customers", "stockist_id": "stockists"},
)  # fmt: skip
ORDER_ITEMS = EntitySpec(
    name="order_items",
    columns=(
        "order_item_id", "order_id", "line_number", "product_id", "quantity", "unit_price",
        "discount_amount", "line_total", "currency", "updated_at",
    ),
    key=("order_item_id",),
    required=("order_item_id", "order_id", "product_id", "quantity", "unit_price", "updated_at"),
    numbers=("unit_price", "discount_amount", "line_total"),
    timestamps=("updated_at",),
    currency="currency",
    parents={"order_id": "orders", "product_id": "products"},
)  # fmt: skip
PAYMENTS = EntitySpec(
    name="payments",
    columns=(
        "payment_id", "order_id", "method", "status", "amount", "currency", "authorized_at",
        "captured_at", "refunded_at", "updated_at",
    ),
    key=("payment_id",),
    required=("payment_id", "order_id", "method", "status", "amount", "currency", "updated_at"),
    numbers=("amount",),
    timestamps=("authorized_at", "updated_at"),
    currency="currency",
    parents={"order_id": "orders"},
)  # fmt: skip
SHIPMENTS = EntitySpec(
    name="shipments",
    columns=(
        "shipment_id", "order_id", "carrier", "distributor_id", "stockist_id", "promised_date",
        "shipped_at", "delivered_at", "status", "updated_at",
    ),
    key=("shipment_id",),
    required=("shipment_id", "order_id", "carrier", "promised_date", "status", "updated_at"),
    timestamps=("shipped_at", "updated_at"),
    dates=("promised_date",),
    parents={"order_id": "orders", "distributor_id": "distributors", "stockist_id": "stockists"},
)  # fmt: skip
SUPPORT_INTERACTIONS = EntitySpec(
    name="support_interactions",
    columns=(
        "interaction_id", "order_id", "customer_id", "csr_id", "channel", "topic", "opened_at",
        "first_response_minutes", "resolution_minutes", "sentiment", "csat", "notes", "updated_at",
    ),
    key=("interaction_id",),
    required=("interaction_id", "customer_id", "csr_id", "channel", "opened_at", "updated_at"),
    numbers=("first_response_minutes", "resolution_minutes", "sentiment"),
    timestamps=("opened_at", "updated_at"),
    text=("notes",),
    parents={"order_id": "orders", "customer_id": "customers"},
)  # fmt: skip
INVENTORY_SNAPSHOTS = EntitySpec(
    name="inventory_snapshots",
    columns=(
        "snapshot_date", "stockist_id", "product_id", "on_hand_units", "units_sold",
        "units_received", "reorder_point", "updated_at",
    ),
    key=("snapshot_date", "stockist_id", "product_id"),
    required=("snapshot_date", "stockist_id", "product_id", "on_hand_units", "updated_at"),
    timestamps=("updated_at",),
    dates=("snapshot_date",),
    parents={"stockist_id": "stockists", "product_id": "products"},
)  # fmt: skip
FX_RATES = EntitySpec(
    name="fx_rates",
    columns=("rate_date", "currency", "base_currency", "rate", "updated_at"),
    key=("rate_date", "currency"),
    required=("rate_date", "currency", "base_currency", "rate", "updated_at"),
    numbers=("rate",),
    timestamps=("updated_at",),
    dates=("rate_date",),
    currency="currency",
)
CSR_BADGES = EntitySpec(
    name="csr_badges",
    columns=("csr_id", "csr_name", "team", "badge", "awarded_on", "criteria", "updated_at"),
    key=("csr_id", "badge", "awarded_on"),
    required=("csr_id", "badge", "awarded_on", "updated_at"),
    timestamps=("updated_at",),
    dates=("awarded_on",),
)

ENTITIES: tuple[EntitySpec, ...] = (
    DISTRIBUTORS, STOCKISTS, PRODUCTS, FX_RATES, CUSTOMERS, ORDERS, ORDER_ITEMS, PAYMENTS,
    SHIPMENTS, SUPPORT_INTERACTIONS, INVENTORY_SNAPSHOTS, CSR_BADGES,
)  # fmt: skip
ENTITY_BY_NAME = {entity.name: entity for entity in ENTITIES}
