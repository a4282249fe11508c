"""The per-profile ranking behind loyalty.mart_loyalty_recommendations (flows/gold/ranking.py)
against a brute-force reading of the rules: every unbought product scored from every anchor, no
list cut short. The mart's own tests (test_loyalty_recommendations.py) check the published rows
on a hand-checked shop; these check the shortcuts the ranking takes, on shops made to tie."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from flows.gold import ranking
from flows.gold.ranking import (
    MIN_CO_BUYERS,
    RECOMMENDATIONS_PER_CUSTOMER,
    Profile,
    Ranked,
    points,
    rank_profiles,
)


def brute_force(profiles: list[Profile], catalogue: list[tuple[str, bool]]) -> list[list[Ranked]]:
    """The rules of docs/loyalty_scoring.md, computed the slow way."""
    number = {product_id: place for place, (product_id, _) in enumerate(catalogue, start=1)}
    recommendable = {number[product_id] for product_id, ok in catalogue if ok}
    baskets = [{number[p] for p in profile.products_bought if p in number} for profile in profiles]
    customers: dict[str, int] = defaultdict(int)
    bought: dict[tuple[str, int, int], int] = defaultdict(int)  # (segment, a, b): customers
    for profile, basket in zip(profiles, baskets, strict=True):
        customers[profile.segment] += profile.customers
        for a in basket:
            for b in basket:
                bought[profile.segment, a, b] += profile.customers
    ranked = []
    for profile, basket in zip(profiles, baskets, strict=True):
        segment = profile.segment
        best: dict[int, tuple[int, int, int]] = {}  # product: (points, co-buyers, -anchor)
        for b in recommendable - basket:
            for a in basket:
                co_buyers = bought[segment, a, b]
                if co_buyers >= MIN_CO_BUYERS:
                    key = (points(co_buyers, bought[segment, a, a]), co_buyers, -a)
                    best[b] = max(best.get(b, key), key)
        order = sorted(best, key=lambda b: (-best[b][0], b))[:RECOMMENDATIONS_PER_CUSTOMER]
        chosen = [Ranked(b, best[b][0], -best[b][2]) for b in order]
        popular = sorted(
            (b for b in recommendable if bought[segment, b, b]),
            key=lambda b: (-points(bought[segment, b, b], customers[segment]), b),
        )
        for b in popular:
            if len(chosen) < RECOMMENDATIONS_PER_CUSTOMER and b not in basket | set(order):
                chosen.append(Ranked(b, points(bought[segment, b, b], customers[segment]), None))
        ranked.append(chosen)
    return ranked


def shop(seed: int) -> tuple[list[Profile], list[tuple[str, bool]]]:
    """A small catalogue (a few products not recommendable) and many overlapping baskets, so
    scores tie and lists are cut where bought products crowd them."""
    rng = random.Random(seed)
    catalogue = [(f"P{n:02d}", rng.random() > 0.2) for n in range(rng.randint(4, 14))]
    ids = [product_id for product_id, _ in catalogue] + ["P-UNKNOWN"]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    profiles = []
    for _ in range(rng.randint(20, 120)):
        segment = rng.choice(("loyal", "new", "at_risk"))
        basket = tuple(sorted(rng.sample(ids, rng.randint(0, min(8, len(ids))))))
        if (segment, basket) not in seen:
            seen.add((segment, basket))
            profiles.append(Profile(segment, basket, rng.choice((1, 1, 1, 2, 5))))
    return profiles, catalogue


@pytest.mark.parametrize("seed", range(60))
def test_the_ranking_matches_the_rules_computed_the_slow_way(seed: int) -> None:
    profiles, catalogue = shop(seed)
    assert rank_profiles(profiles, catalogue) == brute_force(profiles, catalogue)


@pytest.mark.parametrize("merged_entries", [0, 5, 40])
def test_a_merged_list_cut_short_ranks_from_the_anchors_lists(
    monkeypatch: pytest.MonkeyPatch, merged_entries: int
) -> None:
    # The shops above fit their segments' merged lists whole; here the lists are cut, so a
    # basket finds its products in the cut list or, not finding them all, in its anchors'.
    monkeypatch.setattr(ranking, "MERGED_ENTRIES", merged_entries)
    for seed in range(20):
        profiles, catalogue = shop(seed)
        assert rank_profiles(profiles, catalogue) == brute_force(profiles, catalogue)


@pytest.mark.parametrize("bitsets", [True, False], ids=["bitsets", "per-pair"])
def test_both_ways_of_counting_pairs_rank_alike(
    monkeypatch: pytest.MonkeyPatch, bitsets: bool
) -> None:
    # One-customer baskets are counted by bitsets or pair by pair, as the cost model picks;
    # each way alone must give the rules' answer (profiles of 2 or 5 customers are counted pair
    # by pair either way).
    monkeypatch.setattr(ranking, "_bitsets_pay", lambda *_: bitsets)
    for seed in range(30):
        profiles, catalogue = shop(seed)
        assert rank_profiles(profiles, catalogue) == brute_force(profiles, catalogue)


def test_bitsets_count_a_small_catalogue_in_large_segments_only() -> None:
    # 46 products bought by 41,036 one-customer baskets (the champions at 1M orders): bitsets.
    assert ranking._bitsets_pay(products=46, baskets=41_036, items=150_000, pairs=2_044_035)
    # 5,000 products, 20,000 small baskets: 12.5M possible pairs, 70,000 occurring.
    assert not ranking._bitsets_pay(products=5_000, baskets=20_000, items=70_000, pairs=70_000)
    # A handful of baskets: the bitsets' setup would cost more than it saves.
    assert not ranking._bitsets_pay(products=46, baskets=20, items=60, pairs=150)


def test_scores_round_half_away_from_zero_as_postgresql_does() -> None:
    # Python's round() would give 0 and 2 (to even) for the two halves.
    assert points(1, 20000) == 1  # 0.5 basis points
    assert points(5, 20000) == 3  # 2.5
    assert points(1, 3) == 3333
    assert points(2, 3) == 6667
    assert points(7, 7) == 10000


def test_an_anchor_list_cut_short_by_bought_products_reaches_further() -> None:
    # A's list is B, C, D (each bought with A by 4 of A's 6 buyers), then E (2 of 6). For a
    # basket holding A, B, C and D the first three entries are all bought: E, fourth, is
    # the one left, and nobody bought F.
    catalogue = [(p, True) for p in ("A", "B", "C", "D", "E", "F")]
    everyone = Profile("loyal", ("A", "B", "C", "D"), 4)
    some = Profile("loyal", ("A", "E"), 2)
    ranked = rank_profiles([everyone, some], catalogue)
    assert ranked[0] == [Ranked(5, points(2, 6), 1)]
    # Holding A and E: B, C and D, tied, in product order.
    assert ranked[1] == [Ranked(product, points(4, 6), 1) for product in (2, 3, 4)]


def test_products_missing_from_the_catalogue_are_neither_anchors_nor_counted() -> None:
    catalogue = [("A", True), ("B", True)]
    profiles = [Profile("new", ("A", "B", "GONE"), 3), Profile("new", ("GONE",), 1)]
    ranked = rank_profiles(profiles, catalogue)
    assert ranked[0] == []  # both catalogue products bought
    # Nothing known bought: the segment's popularity, 3 of 4 customers bought A and B.
    assert ranked[1] == [Ranked(1, 7500, None), Ranked(2, 7500, None)]


def test_a_product_not_recommendable_anchors_but_is_never_recommended() -> None:
    catalogue = [("A", False), ("B", True), ("C", True)]
    profiles = [Profile("loyal", ("A", "B"), 2), Profile("loyal", ("A",), 1)]
    ranked = rank_profiles(profiles, catalogue)
    assert ranked[1][0] == Ranked(2, points(2, 3), 1)  # B, anchored on A
    assert all(item.product != 1 for items in ranked for item in items)
