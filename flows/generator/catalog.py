"""The shop as the simulation sees it: what sells together, where, at which price, and FX.

Prices and distributor terms change over time without stored state: each product's price steps
on weeks picked by a hash, each distributor's penalty terms on months picked the same way.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass
from functools import lru_cache

from flows.generator.clock import DAY, iso, week_index
from flows.generator.customers import BREW_METHODS, mix
from flows.generator.reference import Carrier, Distributor, Product, ReferenceData, Stockist

PRICE_CHANGE_ODDS = 13  # a product's price changes in about one week of 13
TERMS_CHANGE_ODDS = 6  # a distributor's penalty terms change in about one month of 6


@dataclass(frozen=True)
class ProductPool:
    """Products a basket draws from, with cumulative popularity for fast weighted picks."""

    products: tuple[int, ...]
    cumulative: tuple[int, ...]

    def pick(self, rng: random.Random) -> int:
        """Index (into the catalogue) of a product, weighted by popularity."""
        point = rng.random() * self.cumulative[-1]
        return self.products[bisect.bisect_right(self.cumulative, point)]


def _pool(reference: ReferenceData, indexes: list[int]) -> ProductPool:
    weights = [reference.products[i].popularity for i in indexes]
    return ProductPool(tuple(indexes), tuple(itertools.accumulate(weights)))


class Catalog:
    """Reference data arranged for the simulation."""

    def __init__(self, reference: ReferenceData, seed: int) -> None:
        self.reference = reference
        self.seed = seed
        self.products: tuple[Product, ...] = reference.products
        indexes = range(len(self.products))
        self.everything = _pool(reference, list(indexes))
        self.by_method = {
            method: _pool(
                reference,
                [i for i in indexes if self.products[i].brew_method in (method, "any")],
            )
            for method in BREW_METHODS
        }
        self.beans_by_method = {
            method: _pool(
                reference,
                [
                    i
                    for i in indexes
                    if self.products[i].brew_method == method
                    and self.products[i].category in ("espresso", "beans", "ground")
                ],
            )
            for method in BREW_METHODS
        }
        self.distributor_by_region: dict[str, Distributor] = {
            d.region: d for d in reference.distributors
        }
        self.stockists_by_region: dict[str, tuple[Stockist, ...]] = {}
        for stockist in reference.stockists:
            self.stockists_by_region.setdefault(stockist.region, ())
            self.stockists_by_region[stockist.region] += (stockist,)
        self.carriers_by_region: dict[str, tuple[Carrier, ...]] = {}
        for carrier in reference.carriers:
            self.carriers_by_region.setdefault(carrier.region, ())
            self.carriers_by_region[carrier.region] += (carrier,)
        self.usd_per_unit = {fx.currency: fx.usd_per_unit for fx in reference.fx}
        self.fx_volatility = {fx.currency: fx.daily_volatility for fx in reference.fx}

    def price_changes(self, product: int, week: int) -> bool:
        """Whether the product's price steps at the start of `week`."""
        return week > 0 and mix(self.seed, 3, product, week) % PRICE_CHANGE_ODDS == 0

    @lru_cache(maxsize=16384)  # noqa: B019 - one catalogue per generator run
    def price_usd(self, product: int, week: int) -> int:
        """List price in USD cents during `week`: the reference price plus every step so far."""
        price = self.products[product].price
        if week <= 0:
            return price
        previous = self.price_usd(product, week - 1)
        if not self.price_changes(product, week):
            return previous
        step = 1 + (mix(self.seed, 4, product, week) % 9 - 2) / 100  # -2% .. +6%
        return max(99, round(previous * step / 100) * 100 - 1)

    def local_price(self, product: int, instant: int, currency: str) -> int:
        """List price in `currency` cents at `instant` (the shop's fixed price list rate)."""
        usd = self.price_usd(product, week_index(instant))
        return usd if currency == "USD" else round(usd / self.usd_per_unit[currency])

    def penalty_revisions(self, distributor: int, month: int) -> int:
        """How many times a distributor's penalty terms were raised up to `month`."""
        return sum(
            1
            for m in range(1, month + 1)
            if mix(self.seed, 5, distributor, m) % TERMS_CHANGE_ODDS == 0
        )

    def fx_rate(self, currency: str, day: int) -> float:
        """Value of one unit of `currency` in USD on `day` (days since the epoch)."""
        base = self.usd_per_unit[currency]
        volatility = self.fx_volatility[currency]
        if volatility == 0:
            return base
        phase = mix(self.seed, 6, sum(map(ord, currency))) % 1000 / 1000 * 2 * math.pi
        noise = (mix(self.seed, 7, sum(map(ord, currency)), day) % 2001 - 1000) / 1000
        drift = 0.03 * math.sin(2 * math.pi * day / 97 + phase) + 0.01 * math.sin(
            2 * math.pi * day / 23 + 2 * phase
        )
        return round(base * math.exp(drift + volatility * noise), 6)

    def fx_row(self, currency: str, day: int, base_currency: str) -> list[str]:
        """The fx_rates row: how many `base_currency` units one unit of `currency` buys."""
        rate = self.fx_rate(currency, day) / self.fx_rate(base_currency, day)
        instant = day * DAY
        return [iso(instant)[:10], currency, base_currency, f"{rate:.6f}", iso(instant)]
