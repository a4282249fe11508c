"""Per-client token buckets: a steady rate with a burst allowance, in bounded memory."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

DEFAULT_MAX_KEYS = 100_000


class TokenBuckets:
    """One bucket per key holding up to `burst` tokens, refilled at `rate_per_s`.

    Only the `max_keys` most recently seen keys are remembered: a forgotten key starts full
    again, which errs towards admitting a client rather than letting a flood of distinct
    addresses grow memory without bound.
    """

    def __init__(
        self,
        rate_per_s: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        if rate_per_s <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("rate_per_s must be > 0, burst >= 1 and max_keys >= 1")
        self.rate_per_s = float(rate_per_s)
        self.burst = float(burst)
        self.max_keys = max_keys
        self._clock = clock
        # key -> (tokens, when they were counted)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """Take one token for `key`: 0.0 when granted, else the seconds until one is available.

        A refused request takes nothing, so retrying early does not push the next token away.
        """
        now = self._clock()
        counted = self._buckets.pop(key, None)
        if counted is None:
            tokens = self.burst
        else:
            tokens, then = counted
            tokens = min(self.burst, tokens + (now - then) * self.rate_per_s)
        if tokens >= 1.0:
            tokens -= 1.0
            wait = 0.0
        else:
            wait = (1.0 - tokens) / self.rate_per_s
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait
