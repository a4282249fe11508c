"""The token bucket on a controlled clock."""

from __future__ import annotations

import pytest

from shared.rate_limit import TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_granted_then_the_wait_until_the_next_token_is_named() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate_per_s=2, burst=3, clock=clock)
    assert [buckets.take("ann") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("ann") == pytest.approx(0.5)


def test_tokens_refill_at_the_rate_but_never_past_the_burst() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate_per_s=1, burst=2, clock=clock)
    buckets.take("ann")
    buckets.take("ann")
    clock.now += 1.0
    assert buckets.take("ann") == 0.0
    assert buckets.take("ann") > 0
    clock.now += 3600
    assert [buckets.take("ann") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("ann") > 0


def test_refused_requests_do_not_push_the_next_token_further_away() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate_per_s=1, burst=1, clock=clock)
    buckets.take("ann")
    for _ in range(5):
        assert buckets.take("ann") == pytest.approx(1.0)
    clock.now += 1.0
    assert buckets.take("ann") == 0.0


def test_keys_have_separate_buckets_and_the_least_recent_is_forgotten_first() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate_per_s=1, burst=1, clock=clock, max_keys=2)
    buckets.take("ann")
    buckets.take("bob")
    assert buckets.take("bob") > 0
    buckets.take("cid")  # ann, least recently seen, is dropped: she starts full again
    assert buckets.take("ann") == 0.0
