"""The fair gate: admission strictly in arrival order, a 503 after the wait, no lost permits."""

from __future__ import annotations

import asyncio

import pytest

from shared.fair_gate import FairGate
from shared.problems import ProblemError


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_waiters_are_admitted_in_arrival_order() -> None:
    gate = FairGate(2, wait_s=5)
    admitted: list[int] = []
    release = asyncio.Event()

    async def visitor(number: int) -> None:
        async with gate.hold():
            admitted.append(number)
            await release.wait()

    tasks = []
    for number in range(12):
        tasks.append(asyncio.create_task(visitor(number)))
        await asyncio.sleep(0)  # each one arrives (and queues) before the next
    await _settle()
    assert admitted == [0, 1]
    assert gate.waiting == 10
    release.set()
    await asyncio.gather(*tasks)
    assert admitted == list(range(12))
    assert gate.free == 2


async def test_a_released_permit_goes_to_the_oldest_waiter_not_to_a_newcomer() -> None:
    gate = FairGate(1, wait_s=5)
    order: list[str] = []
    await gate.acquire()

    async def take(name: str) -> None:
        await gate.acquire()
        order.append(name)
        gate.release()

    waiter = asyncio.create_task(take("waiter"))
    await _settle()
    gate.release()
    # The newcomer asks in the same tick as the release, before the woken waiter has run:
    # an unfair pool (SQLAlchemy's asyncio queue) would hand it the connection.
    newcomer = asyncio.create_task(take("newcomer"))
    await asyncio.gather(waiter, newcomer)
    assert order == ["waiter", "newcomer"]
    assert gate.free == 1


async def test_waiting_longer_than_the_limit_is_a_503_with_retry_after() -> None:
    gate = FairGate(1, wait_s=0.05, retry_after_s=2)
    await gate.acquire()
    with pytest.raises(ProblemError) as refused:
        await gate.acquire()
    assert refused.value.status == 503
    assert refused.value.headers == {"Retry-After": "2"}
    assert gate.waiting == 0
    gate.release()
    assert gate.free == 1


async def test_a_cancelled_waiter_does_not_keep_or_lose_a_permit() -> None:
    gate = FairGate(1, wait_s=5)
    await gate.acquire()
    cancelled = asyncio.create_task(gate.acquire())
    after = asyncio.create_task(gate.acquire())
    await _settle()
    cancelled.cancel()
    await _settle()
    gate.release()
    await asyncio.wait_for(after, 1)  # the permit skipped the cancelled waiter
    gate.release()
    assert gate.free == 1
    assert gate.waiting == 0


async def test_a_waiter_cancelled_just_after_being_granted_passes_the_permit_on() -> None:
    gate = FairGate(1, wait_s=5)
    await gate.acquire()
    granted_then_cancelled = asyncio.create_task(gate.acquire())
    next_in_line = asyncio.create_task(gate.acquire())
    await _settle()
    gate.release()  # granted to the first waiter...
    granted_then_cancelled.cancel()  # ...which is cancelled before it runs
    await asyncio.wait_for(next_in_line, 1)
    with pytest.raises(asyncio.CancelledError):
        await granted_then_cancelled
    gate.release()
    assert gate.free == 1


def test_a_gate_needs_a_permit() -> None:
    with pytest.raises(ValueError, match="at least one permit"):
        FairGate(0, wait_s=1)
