"""The synthetic commerce generator: `generate(settings, request)` writes the next batch(es).

Batches are consistent with everything generated before: the state lives in the object store
(`generator/state/`), so any machine can continue where another stopped. The same seed, clock and
options give byte-identical files.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flows.generator.batch import BatchResult, run_batch
from flows.generator.clock import DAY, iso
from flows.generator.reference import ReferenceData, load_reference_data
from flows.generator.settings import GeneratorSettings
from flows.generator.state import (
    BatchPlan,
    GeneratorState,
    GeneratorStateError,
    claim_batch,
    claim_key,
    latest_state,
    read_claim,
    state_key,
)
from shared.objectstore import ObjectStore

__all__ = ["BatchResult", "GenerateRequest", "GeneratorStateError", "generate"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerateRequest:
    """What the caller asks for; unset values come from the settings."""

    orders: int | None = None
    days: float | None = None
    seed: int | None = None
    as_of: datetime | None = None
    clean: bool = False
    backfill_if_new: bool = False


def _plan(
    settings: GeneratorSettings, request: GenerateRequest, state: GeneratorState, new_lake: bool
) -> BatchPlan:
    as_of = int((request.as_of or datetime.now(UTC)).timestamp())
    if state.as_of is not None and as_of <= state.as_of:
        raise GeneratorStateError(
            f"--as-of {iso(as_of)} is not after the previous batch ({iso(state.as_of)}); "
            "batches move forward in time"
        )
    days = request.days
    if days is None and request.backfill_if_new and new_lake:
        days = settings.history_days
    if days is not None:
        start = as_of - round(days * DAY)
        if state.as_of is not None and start < state.as_of:
            logger.info(
                "the lake already has data up to %s: generating from there", iso(state.as_of)
            )
            start = state.as_of
    elif state.as_of is not None:
        start = state.as_of
    else:
        start = as_of - settings.generate_interval_minutes * 60
    orders = request.orders
    if orders is None:
        orders = round(settings.history_orders_per_day * days) if days else settings.batch_orders
    rates = settings.effective_fault_rates(clean=request.clean)
    return BatchPlan(
        batch_no=state.batch_no + 1,
        seed=state.seed,
        window_start=start,
        as_of=as_of,
        orders=orders,
        new_customer_share=settings.new_customer_share,
        fault_rates={kind.value: rate for kind, rate in sorted(rates.items())},
        base_currency=settings.base_currency,
    )


def _run_and_commit(
    store: ObjectStore,
    reference: ReferenceData,
    state: GeneratorState,
    plan: BatchPlan,
    progress: Callable[[int], None] | None,
) -> tuple[GeneratorState, BatchResult]:
    new_state, result = run_batch(store, reference, state, plan, progress)
    store.write_atomic(state_key(plan.batch_no), new_state.to_json())
    for key in (state.customers_key, state.open_orders_key):
        if key:
            store.delete(key)  # superseded by the state just committed
    return new_state, result


def generate(
    settings: GeneratorSettings,
    request: GenerateRequest | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    on_plan: Callable[[BatchPlan], None] | None = None,
) -> list[BatchResult]:
    """Write the next batch into `landing/`; first finishes a batch a crash interrupted."""
    request = request or GenerateRequest()
    store = ObjectStore.from_settings(settings)
    reference = load_reference_data(settings.source_dir)
    state = latest_state(store)
    new_lake = state is None
    if state is None:
        seed = request.seed if request.seed is not None else settings.generator_seed
        state = GeneratorState(seed=seed if seed is not None else secrets.randbelow(2**31))
    else:
        wanted = request.seed if request.seed is not None else settings.generator_seed
        if wanted is not None and wanted != state.seed:
            raise GeneratorStateError(
                f"{store.url('generator/state')} continues seed {state.seed}, not {wanted}: "
                f"drop --seed, pass --seed {state.seed}, or point ECOM_OBJECT_STORE_URL at a "
                "new lake"
            )
    results = []
    if store.exists(claim_key(state.batch_no + 1)):
        unfinished = read_claim(store, state.batch_no + 1)
        logger.info("finishing batch %s, interrupted earlier", unfinished.batch_id)
        if on_plan:
            on_plan(unfinished)
        state, result = _run_and_commit(store, reference, state, unfinished, progress)
        result.redone = True
        results.append(result)
        new_lake = False
    plan = _plan(settings, request, state, new_lake)
    claimed = claim_batch(store, plan)
    if claimed != plan:
        raise GeneratorStateError(
            f"batch {plan.batch_no} was claimed by another generator at the same moment; run again"
        )
    if on_plan:
        on_plan(plan)
    started = time.monotonic()
    state, result = _run_and_commit(store, reference, state, plan, progress)
    logger.info(
        "batch %s: %d new orders, %d rows in %d files, %d faults in %.1fs",
        plan.batch_id, result.new_orders, result.rows, len(result.files),
        sum(result.fault_counts.values()), time.monotonic() - started,
    )  # fmt: skip
    results.append(result)
    return results
