"""Hand-made files no generator writes, each with the outcome the pipeline owes it: a table of
cases that grows with every class of bad input (add a `BadFile` to `BAD_FILES`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flows.bronze import describe_csv
from flows.settings import DriftPolicy, FlowSettings
from tests.flows.entity_csv import customer_row, render_csv
from tests.flows.orders_csv import ORDER_COLUMNS, order_row, render_orders_csv

# The entity whose files may not drift: a drifting file of it is refused while loading.
REFUSES_DRIFT = "csr_badges"
HUGE_FIELD_CHARS = 300_000  # well past the csv module's default field limit (131,072)


@dataclass(frozen=True)
class BadFile:
    """A landing file and what must become of it: `stage` and `error` when it is quarantined
    (the reason contains `reason`), None when every row is accounted for in the ledger."""

    case: str
    key: str
    content: bytes
    stage: str | None = None
    error: str | None = None
    reason: str = ""

    @property
    def quarantined(self) -> bool:
        """Whether the file must end in quarantine rather than in the ledger."""
        return self.stage is not None

    @property
    def rows(self) -> int:
        """Records after the first line, as bronze and the quarantine count them."""
        return describe_csv(self.content)[1]

    @property
    def sha256(self) -> str:
        """The content hash that finds the file in bronze or the quarantine."""
        return hashlib.sha256(self.content).hexdigest()


def _without_header(data: bytes) -> bytes:
    return data.split(b"\n", 1)[1]


BAD_FILES = (
    BadFile(
        "no_header",
        "landing/orders/no-header.csv",
        _without_header(render_orders_csv([order_row("nh-1"), order_row("nh-2")])),
        "landing",
        "UntrustedHeaderError",
        "names none of the declared columns of orders",
    ),
    BadFile(
        "duplicate_column",
        "landing/orders/duplicate.csv",
        render_csv([*ORDER_COLUMNS, "STATUS "], [order_row("dup-1") | {"STATUS ": "cancelled"}]),
        "landing",
        "UntrustedHeaderError",
        "names 'status' more than once",
    ),
    BadFile(
        "no_declared_column",
        "landing/customers/foreign.csv",
        b"sku,colour,size\nX1,red,M\nX2,blue,L\n",
        "landing",
        "UntrustedHeaderError",
        "names none of the declared columns of customers",
    ),
    BadFile("empty", "landing/products/empty.csv", b"", "landing", "UntrustedHeaderError", "empty"),
    BadFile(
        "unknown_entity",
        "landing/refunds/2026-11-19.csv",
        b"refund_id,order_id,amount\nr-1,o-1,5.00\n",
        "landing",
        "UnknownEntityError",
        "landing folder 'refunds' is no known entity; the known entities are csr_badges,",
    ),
    BadFile(
        "load_raises",
        f"landing/{REFUSES_DRIFT}/drifted.csv",
        b"csr_id,csr_name,team,badge,awarded_on,criteria,updated_at,mood\n"
        b"CSR-1,Ann,care,gold,2026-11-16,,2026-11-16T00:00:00Z,sunny\n",
        "load",
        "SchemaDriftRefusedError",
        "adds column(s) mood",
    ),
    # Lands (the field is read, not refused by a limit); its row is loaded or rejected by
    # record-level rules, either way counted in the ledger.
    BadFile(
        "huge_field",
        "landing/customers/huge.csv",
        render_csv(
            list(customer_row("C-HUGE")),
            [customer_row("C-HUGE", last_name="x" * HUGE_FIELD_CHARS), customer_row("C-OK")],
        ),
    ),
)
GOOD_ORDERS = ("o-1", "o-2", "o-3")
GOOD_CUSTOMERS = ("C00001", "C00002")
GOOD_FILES = {
    "landing/customers/good.csv": render_csv(
        list(customer_row("C00001")), [customer_row(c) for c in GOOD_CUSTOMERS]
    ),
    "landing/orders/good.csv": render_orders_csv(
        [order_row(order_id, customer_id="C00001") for order_id in GOOD_ORDERS]
    ),
}


def settings_for_bad_files(settings: FlowSettings) -> FlowSettings:
    """Settings under which `BAD_FILES` owe their outcomes: drift refused for one entity, and
    no reject-rate limit (what record-level rules reject is not this table's concern)."""
    return settings.model_copy(
        update={
            "schema_drift_policy": {REFUSES_DRIFT: DriftPolicy.FAIL},
            "max_reject_rate": 1.0,
        }
    )
