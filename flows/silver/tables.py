"""What silver holds: one declaration per conformed table, from which its SQL is generated.

A declaration names the landing entity, the business key, each column's type and the CSV column
it comes from, which columns are required, whether the table keeps history (SCD Type 2), how
money converts to the base currency and which parents may be inferred before they arrive.
The DDL lives in the flows' Alembic history; `tests/flows/silver/test_tables.py` keeps the two
in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    """How a CSV text value is cast, and the rule a value that does not cast breaks."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "numeric"
    TIMESTAMP = "timestamptz"
    DATE = "date"
    BOOLEAN = "boolean"
    CURRENCY = "currency"


class Domain(StrEnum):
    """The values a number may take where its meaning is plain; a value outside is rejected
    (OUT_OF_DOMAIN). The member's value is the SQL condition a valid value meets."""

    POSITIVE = "> 0"
    NON_NEGATIVE = ">= 0"


@dataclass(frozen=True)
class Column:
    """One silver column and the CSV column it is read from."""

    name: str
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    source: str | None = None
    domain: Domain | None = None

    @property
    def source_name(self) -> str:
        """The CSV header naming this column."""
        return self.source or self.name


@dataclass(frozen=True)
class FxConversion:
    """Money columns converted to the base currency at the rate of a business date."""

    currency: str
    date_column: str
    amounts: tuple[str, ...]


@dataclass(frozen=True)
class SilverTable:
    """One conformed table fed by one landing entity."""

    entity: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    history: bool = False
    default_tracked: tuple[str, ...] = ()
    fx: FxConversion | None = None
    inferred_parents: dict[str, str] = field(default_factory=dict)
    # Parents that cannot be inferred (an order has required values no child row carries): a
    # row whose parent has not arrived is loaded as it is and counted as an orphan; joins pick
    # it up once the parent arrives.
    awaited_parents: dict[str, str] = field(default_factory=dict)
    # A delete (from the admin change outbox) sets `deleted_at` on the row and an upsert newer
    # than the delete clears it. History tables need no flag: a delete closes the current version.
    soft_delete: bool = False

    @property
    def name(self) -> str:
        """Table name inside the silver schema."""
        return self.entity

    @property
    def qualified(self) -> str:
        """`silver.<name>`."""
        return f"silver.{self.name}"

    def column(self, name: str) -> Column:
        """The column called `name`."""
        return next(column for column in self.columns if column.name == name)

    @property
    def value_columns(self) -> tuple[str, ...]:
        """Every typed column, FX columns included: what decides unchanged versus updated."""
        names = [column.name for column in self.columns]
        if self.fx is not None:
            names += ["fx_rate", *(f"{amount}_base" for amount in self.fx.amounts)]
        return tuple(names)

    @property
    def source_columns(self) -> frozenset[str]:
        """CSV headers this table understands; any other header is schema drift."""
        return frozenset(column.source_name for column in self.columns)


def _columns(*specs: str | Column) -> tuple[Column, ...]:
    """Columns from names (text, optional) or full declarations."""
    return tuple(Column(spec) if isinstance(spec, str) else spec for spec in specs)


T = ColumnType


def required(
    name: str,
    type_: ColumnType = T.TEXT,
    source: str | None = None,
    domain: Domain | None = None,
) -> Column:
    """A column every row must fill."""
    return Column(name, type_, True, source, domain)


def optional(name: str, type_: ColumnType, domain: Domain | None = None) -> Column:
    """A typed column that may be empty."""
    return Column(name, type_, domain=domain)


# Money, counts and durations that cannot be negative, and quantities and rates that must be
# positive: a negative price or a zero FX rate would flow silently into every mart.
NON_NEGATIVE, POSITIVE = Domain.NON_NEGATIVE, Domain.POSITIVE


def money(name: str, *, required_: bool = False) -> Column:
    """An amount of money, never negative."""
    return Column(name, T.DECIMAL, required_, domain=NON_NEGATIVE)


def count(name: str, *, required_: bool = False) -> Column:
    """A whole count (days, minutes, units), never negative."""
    return Column(name, T.INTEGER, required_, domain=NON_NEGATIVE)


UPDATED_AT = required("updated_at", T.TIMESTAMP)

DISTRIBUTORS = SilverTable(
    entity="distributors",
    key=("distributor_id",),
    columns=_columns(
        required("distributor_id"), required("name"), required("region"), "country",
        optional("currency", T.CURRENCY), count("sla_days", required_=True),
        money("penalty_per_late_day"), money("penalty_cap"),
        optional("contract_start", T.DATE), UPDATED_AT,
    ),
    history=True,
    default_tracked=("region", "sla_days", "penalty_per_late_day", "penalty_cap"),
)  # fmt: skip
STOCKISTS = SilverTable(
    entity="stockists",
    key=("stockist_id",),
    columns=_columns(
        required("stockist_id"), required("name"), required("distributor_id"), required("region"),
        "country", "city", optional("currency", T.CURRENCY), count("sla_days", required_=True),
        money("penalty_per_late_day"), money("penalty_cap"), UPDATED_AT,
    ),
    history=True,
    default_tracked=("distributor_id", "sla_days", "penalty_per_late_day", "penalty_cap"),
)  # fmt: skip
PRODUCTS = SilverTable(
    entity="products",
    key=("product_id",),
    columns=_columns(
        required("product_id"), "sku", required("name"), required("category"), "brew_method",
        money("price", required_=True), money("cost"),
        required("currency", T.CURRENCY), optional("sustainability_score", T.INTEGER),
        count("weight_grams"), optional("active", T.BOOLEAN), UPDATED_AT,
    ),
    history=True,
    default_tracked=("price", "cost", "category", "active"),
)  # fmt: skip
FX_RATES = SilverTable(
    entity="fx_rates",
    key=("rate_date", "currency"),
    columns=_columns(
        required("rate_date", T.DATE), required("currency", T.CURRENCY),
        required("base_currency", T.CURRENCY), required("rate", T.DECIMAL, domain=POSITIVE),
        UPDATED_AT,
    ),
)  # fmt: skip
CUSTOMERS = SilverTable(
    entity="customers",
    key=("customer_id",),
    columns=_columns(
        required("customer_id"), "first_name", "last_name", required("email"), "phone",
        "address_line", "city", "postal_code", required("country"), required("region"),
        "timezone", "customer_type", "preferred_channel", optional("marketing_opt_in", T.BOOLEAN),
        required("created_at", T.TIMESTAMP), UPDATED_AT,
    ),
    history=True,
    default_tracked=(
        "email", "address_line", "city", "postal_code", "country", "region", "customer_type",
        "preferred_channel",
    ),
)  # fmt: skip
ORDERS = SilverTable(
    entity="orders",
    key=("order_id",),
    columns=_columns(
        required("order_id"), required("customer_id"),
        required("order_ts", T.TIMESTAMP, source="order_date"), required("status"),
        required("channel"), required("region"), required("currency", T.CURRENCY),
        money("subtotal_amount"), money("discount_amount"), money("shipping_amount"),
        money("tax_amount"), money("total_amount", required_=True), "stockist_id", UPDATED_AT,
    ),
    fx=FxConversion(
        currency="currency",
        date_column="order_ts",
        amounts=(
            "subtotal_amount", "discount_amount", "shipping_amount", "tax_amount", "total_amount",
        ),
    ),
    inferred_parents={"customer_id": "customers"},
    soft_delete=True,
)  # fmt: skip
ORDER_ITEMS = SilverTable(
    entity="order_items",
    key=("order_item_id",),
    columns=_columns(
        required("order_item_id"), required("order_id"), optional("line_number", T.INTEGER),
        required("product_id"), required("quantity", T.INTEGER, domain=POSITIVE),
        money("unit_price", required_=True), money("discount_amount"), money("line_total"),
        optional("currency", T.CURRENCY), UPDATED_AT,
    ),
    awaited_parents={"order_id": "orders"},
)  # fmt: skip
PAYMENTS = SilverTable(
    entity="payments",
    key=("payment_id",),
    columns=_columns(
        required("payment_id"), required("order_id"), required("method"), required("status"),
        money("amount", required_=True), required("currency", T.CURRENCY),
        optional("authorized_at", T.TIMESTAMP), optional("captured_at", T.TIMESTAMP),
        optional("refunded_at", T.TIMESTAMP), UPDATED_AT,
    ),
    fx=FxConversion(currency="currency", date_column="updated_at", amounts=("amount",)),
    awaited_parents={"order_id": "orders"},
)  # fmt: skip
SHIPMENTS = SilverTable(
    entity="shipments",
    key=("shipment_id",),
    columns=_columns(
        required("shipment_id"), required("order_id"), required("carrier"), "distributor_id",
        "stockist_id", required("promised_date", T.DATE), optional("shipped_at", T.TIMESTAMP),
        optional("delivered_at", T.TIMESTAMP), required("status"), UPDATED_AT,
    ),
    awaited_parents={"order_id": "orders"},
)  # fmt: skip
SUPPORT_INTERACTIONS = SilverTable(
    entity="support_interactions",
    key=("interaction_id",),
    columns=_columns(
        required("interaction_id"), "order_id", required("customer_id"), required("csr_id"),
        required("channel"), "topic", required("opened_at", T.TIMESTAMP),
        count("first_response_minutes"), count("resolution_minutes"),
        optional("sentiment", T.DECIMAL), optional("csat", T.INTEGER), "notes", UPDATED_AT,
    ),
    inferred_parents={"customer_id": "customers"},
)  # fmt: skip
INVENTORY_SNAPSHOTS = SilverTable(
    entity="inventory_snapshots",
    key=("snapshot_date", "stockist_id", "product_id"),
    columns=_columns(
        required("snapshot_date", T.DATE), required("stockist_id"), required("product_id"),
        required("on_hand_units", T.INTEGER), count("units_sold"), count("units_received"),
        count("reorder_point"), UPDATED_AT,
    ),
)  # fmt: skip
CSR_BADGES = SilverTable(
    entity="csr_badges",
    key=("csr_id", "badge", "awarded_on"),
    columns=_columns(
        required("csr_id"), "csr_name", "team", required("badge"),
        required("awarded_on", T.DATE), "criteria", UPDATED_AT,
    ),
)  # fmt: skip

# Load order: parents and FX rates before the rows that refer to them.
SILVER_TABLES: tuple[SilverTable, ...] = (
    DISTRIBUTORS, STOCKISTS, PRODUCTS, FX_RATES, CUSTOMERS, ORDERS, ORDER_ITEMS, PAYMENTS,
    SHIPMENTS, SUPPORT_INTERACTIONS, INVENTORY_SNAPSHOTS, CSR_BADGES,
)  # fmt: skip
SILVER_TABLE_BY_ENTITY = {table.entity: table for table in SILVER_TABLES}
