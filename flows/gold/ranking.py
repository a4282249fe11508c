"""The co-purchase ranking behind loyalty.mart_loyalty_recommendations, one list per profile.

A customer's recommended products depend on their segment and basket only (the rules are in
docs/loyalty_scoring.md and in the header of `flows/gold/sql/mart_loyalty_recommendations.sql`),
so they are ranked once per *profile*: a distinct segment and basket, with the number of
customers who share it. The mart's SQL then gives every customer their profile's list and adds
what is per customer (offer, cadence, channel, action, status).

This part is Python, not SQL, because it is a small loop per profile over a small catalogue:
merging a basket's anchor lists and skipping bought products costs a few set lookups here,
where set-based SQL expanded, sorted and deduplicated every anchor list's slice for every
profile (7.9M rows at 1M orders: about 13 s of a 26 s build, against 2 s here).
`benchmarks/gold_build.py` measures the build.

Scores are kept in basis points (1/10000) while ranking: integers compare exactly, and the
published score is points / 10000. They are rounded half away from zero, as PostgreSQL's
`round(numeric)` does, so the mart's numbers do not depend on where they were computed.
"""

from __future__ import annotations

import asyncio
import gc
import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, combinations_with_replacement, islice
from typing import NamedTuple

import asyncpg

# The SQL's constants, named as in docs/loyalty_scoring.md.
RECOMMENDATIONS_PER_CUSTOMER = 3
MIN_CO_BUYERS = 2
# How far down its segment's merged list (every anchor's entries, best first) a basket reads
# before it ranks from its own anchors' lists instead. At 1M orders (46 products) a basket
# reads 95 entries on average, 263 at the 99th percentile; the bound keeps a basket of weak
# anchors in a large catalogue from reading millions.
MERGED_ENTRIES = 512

# The mart's work tables (`Mart.work_tables`: unlogged, in ops, dropped before the build
# commits, so parallel workers read them as they cannot a temporary table).
# ops.gold_profiles: the profiles of the customer summary, numbered; the mart's SQL finds each
# customer's profile there by segment and basket. ops.gold_profile_ranks: each profile's
# recommendations in rank order, one row each (anchor NULL for a popularity fallback); rows of
# integers and short text, as COPY writes arrays several times slower.
_CREATE = """
    CREATE UNLOGGED TABLE ops.gold_profiles AS
    SELECT row_number() OVER ()::integer AS profile, segment, products_bought, customers
    FROM (
        SELECT segment, coalesce(products_bought, '{}') AS products_bought,
            count(*)::integer AS customers
        FROM loyalty.mart_customer_summary
        GROUP BY 1, 2
    ) AS grouped;
    CREATE UNLOGGED TABLE ops.gold_profile_ranks (
        profile integer NOT NULL,
        rank smallint NOT NULL,
        product_id text NOT NULL,
        points integer NOT NULL,
        anchor_product_id text
    );
"""
# Every product's latest version (anchors may be products no longer sold), in product_id order
# as the database sorts it: ties between equal scores go to the earlier product.
_CATALOGUE = """
    SELECT product_id, is_current AND active IS NOT FALSE AS recommendable
    FROM (
        SELECT DISTINCT ON (product_id) product_id, is_current, active
        FROM silver.products
        ORDER BY product_id, is_current DESC, valid_from DESC
    ) AS latest
    ORDER BY product_id
"""


class Profile(NamedTuple):
    """Customers of one segment who bought the same products."""

    segment: str
    products_bought: Sequence[str]
    customers: int


class Ranked(NamedTuple):
    """One recommendation of a profile: the product, its score and, for a co-purchase, the
    anchor (the bought product that gives the score); None marks a popularity fallback."""

    product: int
    points: int
    anchor: int | None


def points(part: int, whole: int) -> int:
    """part / whole in basis points, rounded half away from zero (both are positive)."""
    return (part * 20000 + whole) // (2 * whole)


@dataclass
class _Segment:
    """One segment's co-purchase lists and popularity list, from its profiles' baskets."""

    # anchor -> its candidates (-points, product, -co_buyers, anchor), best first: sorted as
    # tuples, they rank by score, then product number, then more co-buyers, then lower anchor.
    lists: dict[int, list[tuple[int, int, int, int]]]
    # (-points, product) of the segment's buyers, most popular first.
    popular: list[tuple[int, int]]
    # The first MERGED_ENTRIES entries of all the lists together, in the same order.
    merged: list[tuple[int, int, int, int]]
    # Whether `merged` holds every entry.
    merged_whole: bool


def _bitsets_pay(products: int, baskets: int, items: int, pairs: int) -> bool:
    """Whether counting `baskets` (holding `items` products, `pairs` pairs with themselves
    counted, over `products` distinct products) by bitsets costs less than counting each pair.

    Costs in Counter increments (about 50 ns each, measured): a bitset's bit is set from Python
    (about 2), and each of the products' possible pairs costs an AND and a count (about 3) plus
    a word of 64 baskets (about 1/100). A small catalogue bought in large segments pays (1M
    orders: 46 products, 0.31 s against 0.12 s); a large one, mostly never bought together,
    does not."""
    possible = products * (products + 1) // 2
    return 2 * items + possible * (3 + baskets // 6400) < pairs


def _count_by_bitsets(baskets: Sequence[Sequence[int]], pairs: Counter[tuple[int, int]]) -> None:
    """Add to `pairs` the one-customer `baskets`' pairs: a bitset per product (bit i: basket i
    holds it), so a pair's co-buyers are the bits its products' sets share."""
    size = (len(baskets) + 7) // 8
    rows: dict[int, bytearray] = {}
    for place, basket in enumerate(baskets):
        byte, bit = place >> 3, 1 << (place & 7)
        for product in basket:
            row = rows.get(product)
            if row is None:
                row = rows[product] = bytearray(size)
            row[byte] |= bit
    sets = sorted((product, int.from_bytes(row, "little")) for product, row in rows.items())
    for first, (x, x_buyers) in enumerate(sets):
        for y, y_buyers in sets[first:]:
            both = (x_buyers & y_buyers).bit_count()
            if both:
                pairs[x, y] += both


def _count_pairs(
    baskets: Iterable[tuple[Sequence[int], int]],
) -> tuple[Counter[tuple[int, int]], int]:
    """Customers who bought each product (x, x) and each pair (x, y), x < y, of sorted
    (basket, customers); and the customers."""
    pairs: Counter[tuple[int, int]] = Counter()
    customers = 0
    single = []
    for basket, count in baskets:
        customers += count
        if count == 1:
            single.append(basket)
        else:
            for pair in combinations_with_replacement(basket, 2):
                pairs[pair] += count
    # Most baskets are one customer's: counted together, by bitsets or by Counter's C loop.
    products = len(set(chain.from_iterable(single)))
    items = sum(map(len, single))
    occurring = sum(len(basket) * (len(basket) + 1) // 2 for basket in single)
    if _bitsets_pay(products, len(single), items, occurring):
        _count_by_bitsets(single, pairs)
    else:
        pairs.update(chain.from_iterable(combinations_with_replacement(b, 2) for b in single))
    return pairs, customers


def _segment(baskets: Iterable[tuple[Sequence[int], int]], recommendable: set[int]) -> _Segment:
    """A segment's lists from its profiles' (sorted basket, customers)."""
    pairs, customers = _count_pairs(baskets)
    buyers = {x: count for (x, y), count in pairs.items() if x == y}
    lists: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for (x, y), count in pairs.items():
        if x == y or count < MIN_CO_BUYERS:
            continue
        # Co-buying is symmetric: the pair is read both ways.
        for anchor, product in ((x, y), (y, x)):
            if product in recommendable:
                score = points(count, buyers[anchor])
                lists[anchor].append((-score, product, -count, anchor))
    for entries in lists.values():
        entries.sort()
    popular = sorted(
        (-points(count, customers), product)
        for product, count in buyers.items()
        if product in recommendable
    )
    merged = list(islice(heapq.merge(*lists.values()), MERGED_ENTRIES))
    whole = sum(map(len, lists.values())) <= MERGED_ENTRIES
    return _Segment(dict(lists), popular, merged, whole)


def _rank(basket: Sequence[int], segment: _Segment) -> list[Ranked]:
    """A basket's best products: co-purchase candidates first, then popular ones.

    Read from the segment's merged list, which orders every (anchor, product) entry as the
    ranking does: the first entry of one of the basket's anchors naming a product not yet
    taken is that product's best score and anchor, and the products come in rank order. A few
    set lookups per entry, about 60 % of `_rank_from_anchors`' time at 1M orders."""
    anchors = set(basket)
    taken = set(basket)  # bought, or chosen already
    chosen: list[Ranked] = []
    for negative_points, product, _, anchor in segment.merged:
        if anchor in anchors and product not in taken:
            chosen.append(Ranked(product, -negative_points, anchor))
            if len(chosen) == RECOMMENDATIONS_PER_CUSTOMER:
                return chosen
            taken.add(product)
    if not segment.merged_whole:
        return _rank_from_anchors(basket, segment)  # the rest of the list is not at hand
    return _fill_with_popular(chosen, taken, segment)


def _rank_from_anchors(basket: Sequence[int], segment: _Segment) -> list[Ranked]:
    """`_rank` from the basket's own anchors' lists, however far down the merged list their
    entries lie."""
    bought = set(basket)
    # Only an anchor's first N unbought products can be in the top N (every unbought product
    # ahead of one in the anchor's list scores at least as well from that anchor alone, and
    # wins a tie on its lower number), and those are among its first N + (bought - 1) entries.
    reach = RECOMMENDATIONS_PER_CUSTOMER + len(basket) - 1
    candidates = []
    for anchor in basket:
        unbought = [
            entry for entry in segment.lists.get(anchor, ())[:reach] if entry[1] not in bought
        ]
        candidates += unbought[:RECOMMENDATIONS_PER_CUSTOMER]
    # In candidate order, a product's first entry is its best score and anchor, and products
    # come in rank order (score, then product number).
    candidates.sort()
    chosen: list[Ranked] = []
    for negative_points, product, _, anchor in candidates:
        if product not in bought:
            chosen.append(Ranked(product, -negative_points, anchor))
            if len(chosen) == RECOMMENDATIONS_PER_CUSTOMER:
                return chosen
            bought.add(product)  # its later entries are weaker
    return _fill_with_popular(chosen, bought, segment)


def _fill_with_popular(chosen: list[Ranked], taken: set[int], segment: _Segment) -> list[Ranked]:
    """Too few co-purchase candidates: the segment's most popular products not `taken` (bought
    or chosen) fill the places."""
    for negative_points, product in segment.popular:
        if len(chosen) == RECOMMENDATIONS_PER_CUSTOMER:
            break
        if product not in taken:
            chosen.append(Ranked(product, -negative_points, None))
    return chosen


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector: ranking allocates a few million small tuples and lists,
    none in a cycle, and the collector's full passes over them cost as much again as the
    ranking (1.4 s of 2.9 s at 1M orders). Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def rank_profiles(
    profiles: Sequence[Profile], catalogue: Sequence[tuple[str, bool]]
) -> list[list[Ranked]]:
    """Each profile's recommendations, in the order of `profiles`, products numbered by their
    place in `catalogue` ((product_id, recommendable) in tie-break order, from 1). Products
    missing from the catalogue are dropped from baskets: no anchor, no candidate, no count."""
    number = {product_id: place for place, (product_id, _) in enumerate(catalogue, start=1)}
    recommendable = {number[product_id] for product_id, ok in catalogue if ok}
    by_segment: dict[str, list[tuple[int, list[int]]]] = defaultdict(list)
    ranked: list[list[Ranked]] = []
    with _no_cycle_collection():
        ranked = [[] for _ in profiles]
        for place, profile in enumerate(profiles):
            basket = sorted({number[p] for p in profile.products_bought if p in number})
            by_segment[profile.segment].append((place, basket))
        for members in by_segment.values():
            counted = ((basket, profiles[place].customers) for place, basket in members)
            segment = _segment(counted, recommendable)
            for place, basket in members:
                ranked[place] = _rank(basket, segment)
    return ranked


def _rank_rows(
    rows: Sequence[asyncpg.Record], catalogue: Sequence[tuple[str, bool]]
) -> list[list[Ranked]]:
    """`rank_profiles` of fetched ops.gold_profiles rows (profile, segment, basket, customers)."""
    return rank_profiles([Profile(*row[1:]) for row in rows], catalogue)


async def fill_profile_ranks(connection: asyncpg.Connection, alongside: str) -> None:
    """Number the customer summary's profiles into `ops.gold_profiles` and rank each into
    `ops.gold_profile_ranks` (work tables of the build's transaction on `connection`, dropped
    before it commits), for the mart's SQL to read. `alongside`: SQL that needs the profiles but not
    their ranks, run while Python ranks (the database would otherwise sit idle)."""
    await connection.execute(_CREATE)
    await connection.execute("ANALYZE ops.gold_profiles")
    rows = await connection.fetch(_CATALOGUE)
    catalogue = [(row["product_id"], row["recommendable"]) for row in rows]
    rows = await connection.fetch(
        "SELECT profile, segment, products_bought, customers FROM ops.gold_profiles"
    )
    # Ranking in a thread, so the event loop hands `alongside` to the server and collects its
    # answer meanwhile. Both finish before a failure of either is raised: the build rolls back
    # on this connection, which it cannot while a statement is still running there.
    ranking = asyncio.create_task(asyncio.to_thread(_rank_rows, rows, catalogue))
    offers = asyncio.create_task(connection.execute(alongside))
    await asyncio.wait((ranking, offers))
    for error in [task.exception() for task in (ranking, offers)]:
        if error is not None:
            raise error
    ranked = ranking.result()
    product_ids = [None, *(product_id for product_id, _ in catalogue)]  # by number, from 1
    await connection.copy_records_to_table(
        "gold_profile_ranks",
        schema_name="ops",
        records=(
            (row["profile"], rank, product_ids[item.product], item.points,
             None if item.anchor is None else product_ids[item.anchor])
            for row, items in zip(rows, ranked, strict=True)
            for rank, item in enumerate(items, start=1)
        ),
    )  # fmt: skip
    await connection.execute("ANALYZE ops.gold_profile_ranks")
