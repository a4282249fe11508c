"""Deployment concurrency slots left behind by a flows runner that stopped abruptly.

Prefect gives a deployment run its concurrency slot when the run turns Pending and takes it back
when the run ends. A runner killed in between (Ctrl-C of `ecom up` just before a scheduled run,
kill -9, a lost container) leaves the run Pending or Running with nobody to end it, so the slot
stays taken and every later run of that deployment is cancelled ("Deployment concurrency limit
reached"). The flows runner is the only process that executes these deployments, so when it
starts no run of them can still be alive: it marks them Crashed (the server's own transition
rule then returns their slots) and resets any slot no run holds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.exceptions import ObjectNotFound
from prefect.states import Crashed

logger = logging.getLogger(__name__)

# The states in which a deployment run holds its concurrency slot.
SLOT_HOLDING_STATES = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]
ORPHAN_MESSAGE = (
    "The flows runner executing this run stopped before the run ended; marked Crashed when the"
    " runner started again, which returned the deployment's concurrency slot."
)


async def release_orphaned_slots(
    client: PrefectClient, deployment_names: Sequence[str]
) -> list[str]:
    """Crash the runs of these deployments (`flow/deployment`) that still hold a slot and free
    slots no run holds; one line per thing recovered."""
    recovered: list[str] = []
    for full_name in deployment_names:
        try:
            deployment = await client.read_deployment_by_name(full_name)
        except ObjectNotFound:
            continue  # never served on this server yet: nothing can be held
        orphans = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=SLOT_HOLDING_STATES))
            ),
        )
        for run in orphans:
            was = run.state.name if run.state else "?"
            await client.set_flow_run_state(run.id, Crashed(message=ORPHAN_MESSAGE), force=True)
            recovered.append(f"{full_name}: run {run.name} was left {was}; marked Crashed")
        limit = deployment.global_concurrency_limit
        if limit is None:
            continue
        # Crashing the orphans returned their slots; what is still taken has no holder at all
        # (a run deleted while it ran, a lease the server forgot).
        held = (await client.read_global_concurrency_limit_by_name(limit.name)).active_slots
        if held:
            await client.update_global_concurrency_limit(
                limit.name, GlobalConcurrencyLimitUpdate(active_slots=0)
            )
            recovered.append(f"{full_name}: {held} concurrency slot(s) held by no run; freed")
    return recovered
