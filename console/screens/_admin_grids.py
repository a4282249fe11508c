"""What the admin screen knows of the back office's three lists (products, customers, orders):
their columns, which of them sort, which an editor may change and how, and their filters.

The names are the admin API's own (`/api/admin/<plural>`: its query parameters, its PATCH
fields), so the screen passes a grid's state straight through; the API validates everything.
The leading underscore keeps screen discovery from taking it for a screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

Kind = Literal["text", "decimal", "integer", "bool", "choice", "date"]
SORT_DIRECTIONS = {"": "ascending", "+": "ascending", "-": "descending"}
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Column:
    """One column of a grid; `edit` is how an editor changes it (None: read-only)."""

    name: str
    label: str
    sortable: bool = False
    numeric: bool = False
    edit: Kind | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False  # an empty input clears it (null); otherwise empty is sent as is


@dataclass(frozen=True)
class Filter:
    """One exact or range filter of a list, named as the API's query parameter."""

    name: str
    label: str
    kind: Kind = "text"
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grid:
    """One back-office list as the admin screen shows it."""

    plural: str
    noun: str
    title: str
    key: str
    default_sort: str
    search_help: str
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...]

    @property
    def api(self) -> str:
        """The list's path at the API."""
        return f"/api/admin/{self.plural}"

    @property
    def path(self) -> str:
        """The grid's path in the console."""
        return f"/admin/{self.plural}"

    @property
    def editable(self) -> tuple[Column, ...]:
        """The columns an editor may change."""
        return tuple(column for column in self.columns if column.edit is not None)


_STATUSES = ("placed", "paid", "shipped", "delivered", "cancelled", "returned")
_CHANNELS = ("web", "mobile", "stockist", "distributor")
_CONTACT = ("email", "sms", "push", "phone")

GRIDS: dict[str, Grid] = {
    grid.plural: grid
    for grid in (
        Grid(
            plural="products",
            noun="product",
            title="Products",
            key="product_id",
            default_sort="name",
            search_help="SKU, name or category",
            columns=(
                Column("product_id", "Product", sortable=True),
                Column("sku", "SKU", sortable=True, edit="text"),
                Column("name", "Name", sortable=True, edit="text"),
                Column("category", "Category", sortable=True, edit="text"),
                Column("price", "Price", sortable=True, numeric=True, edit="decimal"),
                Column("cost", "Cost", numeric=True, edit="decimal", nullable=True),
                Column("currency", "Currency", edit="text"),
                Column(
                    "sustainability_score",
                    "Sustainability",
                    numeric=True,
                    edit="integer",
                    nullable=True,
                ),
                Column("active", "Active", edit="bool"),
                Column("updated_at", "Updated", sortable=True),
            ),
            filters=(
                Filter("category", "Category"),
                Filter("currency", "Currency"),
                Filter("active", "Active", "bool"),
                Filter("price_min", "Lowest price", "decimal"),
                Filter("price_max", "Highest price", "decimal"),
            ),
        ),
        Grid(
            plural="customers",
            noun="customer",
            title="Customers",
            key="customer_id",
            default_sort="last_name,first_name",
            search_help="first or last name, email or city",
            columns=(
                Column("customer_id", "Customer", sortable=True),
                Column("first_name", "First name", sortable=True, edit="text"),
                Column("last_name", "Last name", sortable=True, edit="text"),
                Column("email", "Email", sortable=True, edit="text"),
                Column("country", "Country", sortable=True, edit="text"),
                Column("region", "Region", edit="text", nullable=True),
                Column("city", "City", edit="text", nullable=True),
                Column("timezone", "Time zone", edit="text", nullable=True),
                Column(
                    "preferred_channel", "Channel", edit="choice", choices=_CONTACT, nullable=True
                ),
                Column("marketing_opt_in", "Marketing", edit="bool"),
                Column("updated_at", "Updated", sortable=True),
            ),
            filters=(
                Filter("country", "Country"),
                Filter("region", "Region"),
                Filter("city", "City"),
                Filter("preferred_channel", "Channel", "choice", _CONTACT),
                Filter("marketing_opt_in", "Marketing", "bool"),
            ),
        ),
        Grid(
            plural="orders",
            noun="order",
            title="Orders",
            key="order_id",
            default_sort="-order_date",
            search_help="order, customer or region",
            columns=(
                Column("order_id", "Order", sortable=True),
                Column("customer_id", "Customer", sortable=True, edit="text"),
                Column("order_date", "Date", sortable=True, edit="text"),
                Column("status", "Status", sortable=True, edit="choice", choices=_STATUSES),
                Column("channel", "Channel", edit="choice", choices=_CHANNELS),
                Column("region", "Region", edit="text"),
                Column("currency", "Currency", edit="text"),
                Column("total_amount", "Total", sortable=True, numeric=True, edit="decimal"),
                Column("updated_at", "Updated", sortable=True),
            ),
            filters=(
                Filter("customer_id", "Customer"),
                Filter("status", "Status", "choice", _STATUSES),
                Filter("channel", "Channel", "choice", _CHANNELS),
                Filter("region", "Region"),
                Filter("currency", "Currency"),
                Filter("order_date_from", "From (date)", "date"),
                Filter("order_date_before", "Before (date)", "date"),
                Filter("total_amount_min", "Lowest total", "decimal"),
                Filter("total_amount_max", "Highest total", "decimal"),
            ),
        ),
    )
}


@dataclass(frozen=True)
class GridState:
    """What the browser asked of a grid (all text, as sent): search, filters, sort, page."""

    q: str = ""
    sort: str = ""
    limit: str = ""
    offset: str = ""
    filters: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, grid: Grid, query: Any) -> GridState:
        """The state in a query string (a mapping of names to text); unknown names are dropped."""
        names = [f.name for f in grid.filters]
        return cls(
            q=str(query.get("q") or ""),
            sort=str(query.get("sort") or ""),
            limit=str(query.get("limit") or ""),
            offset=str(query.get("offset") or ""),
            filters=tuple((name, str(query[name])) for name in names if query.get(name)),
        )

    def filter_value(self, name: str) -> str:
        """The value of filter `name` ("" when not set)."""
        return dict(self.filters).get(name, "")

    def query(self, **changes: str) -> str:
        """The state as a query string, with `changes` applied (empty values dropped)."""
        values = {
            "q": self.q,
            **dict(self.filters),
            "sort": self.sort,
            "limit": self.limit,
            "offset": self.offset,
        }
        values.update(changes)
        return urlencode({name: value for name, value in values.items() if value})

    def api_params(self, grid: Grid, *, paged: bool = True) -> dict[str, str]:
        """The API's query parameters for this state (without the page for an export)."""
        kinds = {f.name: f.kind for f in grid.filters}
        params = {name: _api_filter(kinds[name], value) for name, value in self.filters}
        params.update(q=self.q, sort=self.sort)
        if paged:
            params.update(limit=self.limit or str(DEFAULT_PAGE_SIZE), offset=self.offset)
        return {name: value for name, value in params.items() if value}


def _api_filter(kind: Kind, value: str) -> str:
    # A date input's day as the instant the API's timestamp filters expect (its start, UTC).
    if kind == "date" and _DATE_ONLY.match(value):
        return f"{value}T00:00:00Z"
    return value


def primary_sort(grid: Grid, sort: str) -> tuple[str, str]:
    """The first key of `sort` (or the grid's default) and its aria-sort direction."""
    first = (sort or grid.default_sort).split(",")[0].strip()
    sign = first[:1] if first[:1] in "+-" else ""
    return first.lstrip("+-"), SORT_DIRECTIONS[sign]


def headers(grid: Grid, state: GridState) -> list[dict[str, Any]]:
    """Each column's header: label, and for a sortable column the link that sorts by it
    (ascending, or descending when it already sorts ascending) and its aria-sort."""
    current, direction = primary_sort(grid, state.sort)
    result = []
    for column in grid.columns:
        entry: dict[str, Any] = {"column": column, "aria_sort": None, "href": None}
        if column.sortable:
            sorted_here = column.name == current
            entry["aria_sort"] = direction if sorted_here else None
            descending = sorted_here and direction == "ascending"
            sort = f"-{column.name}" if descending else column.name
            entry["href"] = f"{grid.path}?{state.query(sort=sort, offset='')}"
            entry["next"] = "descending" if descending else "ascending"
        result.append(entry)
    return result


def cell_text(value: Any) -> str:
    """How a grid cell shows an API value."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def input_value(value: Any) -> str:
    """An API value as an edit input holds it (and as a form sends it back)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_value(column: Column, text: str) -> Any:
    if text == "" and column.nullable:
        return None
    if column.edit == "bool":
        return {"true": True, "false": False}.get(text, text)
    if column.edit == "integer" and re.fullmatch(r"-?\d{1,9}", text):
        return int(text)
    return text  # text, choices and decimals as typed: the API validates them


def changes(grid: Grid, form: dict[str, str], current: dict[str, Any]) -> dict[str, Any]:
    """The PATCH body: each editable field whose input differs from the current row."""
    body: dict[str, Any] = {}
    for column in grid.editable:
        if column.name not in form:
            continue
        text = form[column.name]
        if text != input_value(current.get(column.name)):
            body[column.name] = _json_value(column, text)
    return body


def edit_values(grid: Grid, row: dict[str, Any]) -> dict[str, str]:
    """A row's editable fields as the edit inputs hold them."""
    return {column.name: input_value(row.get(column.name)) for column in grid.editable}
