"""A first-come, first-served gate in front of the database pool.

SQLAlchemy's async pool hands a returned connection to whichever coroutine asks next, and a
request that has just arrived usually asks before a woken waiter runs. Under 50 concurrent
clients most requests get a connection at once while a few wait for hundreds of milliseconds:
the long p99 of issue 17. The gate admits at most `permits` sessions at a time and hands each
released permit straight to the oldest waiter, so no request can be overtaken by a newer one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from shared.problems import ProblemError


class _WaitExpiredError(Exception):
    """A waiter's time ran out."""


class FairGate:
    """At most `permits` holders at once; waiters are admitted strictly in arrival order."""

    def __init__(self, permits: int, *, wait_s: float, retry_after_s: int = 1) -> None:
        if permits < 1:
            raise ValueError("a gate needs at least one permit")
        self.permits = permits
        self.wait_s = wait_s
        self.retry_after_s = retry_after_s
        self._free = permits
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        """How many callers are queued (cancelled ones are dropped as they are met)."""
        return sum(1 for waiter in self._waiters if not waiter.done())

    @property
    def free(self) -> int:
        """Permits nobody holds."""
        return self._free

    async def acquire(self) -> None:
        """Take a permit, waiting behind everyone who came earlier; a 503 after `wait_s`."""
        if self._free and not self._waiters:
            self._free -= 1
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(self.wait_s, self._expire, waiter)
        try:
            await waiter
        except _WaitExpiredError:
            raise ProblemError(
                503,
                "The service is too busy to answer now; try again shortly.",
                headers={"Retry-After": str(self.retry_after_s)},
            ) from None
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release()  # granted, but the caller went away first: pass it on
            else:
                self._forget(waiter)
            raise
        finally:
            timer.cancel()

    def _expire(self, waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_exception(_WaitExpiredError())
            self._forget(waiter)

    def _forget(self, waiter: asyncio.Future[None]) -> None:
        with suppress(ValueError):
            self._waiters.remove(waiter)

    def release(self) -> None:
        """Return a permit: to the oldest live waiter if there is one, else to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Hold a permit for the body of the `async with`."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()
