"""The generator's memory, kept in the object store so any machine can generate the next batch.

`generator/state/batch-<n>.json` is committed last, after the batch's files and manifest; it
points to the customer book and the open-order list of the same batch. A claim file written
first (`claim-<n>.json`) holds the batch's options, so a batch interrupted by a crash is redone
identically before a new one starts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from flows.generator.customers import CustomerBook
from shared.objectstore import ObjectStore

STATE_PREFIX = "generator/state"
STATE_FORMAT = 1


class GeneratorStateError(RuntimeError):
    """The stored state cannot be used as asked; the message says what to do."""


@dataclass
class BatchPlan:
    """What a batch is asked to do; stored in its claim so a redo is identical."""

    batch_no: int
    seed: int
    window_start: int
    as_of: int
    orders: int
    new_customer_share: float
    fault_rates: dict[str, float]
    base_currency: str

    @property
    def batch_id(self) -> str:
        """`000042-20261120T120000Z`: sorts by batch, names the clock."""
        return f"{self.batch_no:06d}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(self.as_of))}"


@dataclass
class GeneratorState:
    """Counters and small tables carried from batch to batch."""

    seed: int
    batch_no: int = 0
    as_of: int | None = None
    next_order_no: int = 1
    deferred_customers: list[int] = field(default_factory=list)
    inventory: dict[str, int] = field(default_factory=dict)
    csr_weeks: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    reference_published: bool = False
    customers_key: str | None = None
    open_orders_key: str | None = None

    def to_json(self) -> bytes:
        """The committed state document."""
        return json.dumps(
            {"format": STATE_FORMAT, **asdict(self)}, sort_keys=True, indent=1
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> GeneratorState:
        """Inverse of `to_json`."""
        document: dict[str, Any] = json.loads(data)
        if document.pop("format", None) != STATE_FORMAT:
            raise GeneratorStateError("generator state has an unknown format; start a new lake")
        return cls(**document)


def state_key(batch_no: int) -> str:
    """Where batch `batch_no`'s committed state lives."""
    return f"{STATE_PREFIX}/batch-{batch_no:06d}.json"


def claim_key(batch_no: int) -> str:
    """Where batch `batch_no`'s claim lives."""
    return f"{STATE_PREFIX}/claim-{batch_no:06d}.json"


def latest_state(store: ObjectStore) -> GeneratorState | None:
    """The newest committed state, or None for a lake nobody generated into yet."""
    keys = [k for k in store.list(STATE_PREFIX) if k.rsplit("/", 1)[-1].startswith("batch-")]
    return GeneratorState.from_json(store.read_bytes(keys[-1])) if keys else None


def load_customers(store: ObjectStore, state: GeneratorState) -> CustomerBook:
    """The customer book the state points to."""
    if state.customers_key is None:
        return CustomerBook()
    return CustomerBook.from_bytes(store.read_bytes(state.customers_key))


def read_open_orders(
    store: ObjectStore, state: GeneratorState
) -> Iterator[tuple[int, int, int, int]]:
    """Open orders as (order number, customer number, placed, next event), streamed."""
    if state.open_orders_key is None:
        return
    with store.open_read(state.open_orders_key) as handle:
        for line in handle:
            order, customer, placed, next_event = line.split(b",")
            yield int(order), int(customer), int(placed), int(next_event)


def read_claim(store: ObjectStore, batch_no: int) -> BatchPlan:
    """The plan a claim holds."""
    return BatchPlan(**json.loads(store.read_bytes(claim_key(batch_no))))


def claim_batch(store: ObjectStore, plan: BatchPlan) -> BatchPlan:
    """Claim the batch number; returns the plan to run (an earlier unfinished claim wins)."""
    if store.create_new(
        claim_key(plan.batch_no), json.dumps(asdict(plan), sort_keys=True).encode()
    ):
        return plan
    return read_claim(store, plan.batch_no)
