"""Customers: who they are (derived from their number), when they buy, and their CSV rows.

A customer's stable traits come from a hash of the seed and the customer's number, so nothing
per customer needs storing except when they last ordered and how often their details changed.
"""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass
from functools import lru_cache

from flows.generator.clock import DAY, iso
from flows.generator.randomness import SimRandom
from flows.generator.regions import REGIONS, City, Region
from flows.generator.vocabulary import BUSINESS_WORDS, FIRST_NAMES, LAST_NAMES, STREETS

MASK = (1 << 64) - 1
BREW_METHODS = ("espresso", "pour_over", "french_press", "cold_brew", "moka")
_METHOD_WEIGHTS = (34, 28, 16, 12, 10)
_REGION_TOTAL = sum(region.demand_weight for region in REGIONS)
_CHANNELS = ("email", "email", "sms", "push")
CANDIDATES_PER_PICK = 6


def mix(*parts: int) -> int:
    """A well-spread 64-bit hash of integers (splitmix64 steps), stable across processes."""
    value = 0x9E3779B97F4A7C15
    for part in parts:
        value = (value ^ (part & MASK)) * 0xBF58476D1CE4E5B9 & MASK
        value ^= value >> 31
        value = value * 0x94D049BB133111EB & MASK
        value ^= value >> 29
    return value


def _pick_weighted(value: int, weights: tuple[int, ...]) -> int:
    point = value % sum(weights)
    for index, weight in enumerate(weights):
        if point < weight:
            return index
        point -= weight
    return len(weights) - 1


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """Stable traits of one customer."""

    number: int
    region: Region
    city: City
    persona: str
    business: bool
    interval_days: float

    @property
    def customer_id(self) -> str:
        """`C0000042`."""
        return customer_id(self.number)


def customer_id(number: int) -> str:
    """The business key of customer `number`."""
    return f"C{number:07d}"


@lru_cache(maxsize=65536)
def customer_profile(seed: int, number: int) -> CustomerProfile:
    """The traits of customer `number` under `seed`."""
    bits = mix(seed, 1, number)
    region = REGIONS[_pick_weighted(bits & 0xFFFF, tuple(r.demand_weight for r in REGIONS))]
    city = region.cities[(bits >> 16) % len(region.cities)]
    persona = BREW_METHODS[_pick_weighted((bits >> 24) & 0xFFFF, _METHOD_WEIGHTS)]
    business = (bits >> 40) % 100 < 6
    # Businesses restock every week or two; home brewers every two to eight weeks.
    low, high = (6.0, 16.0) if business else (14.0, 60.0)
    interval = low + (high - low) * ((bits >> 48) & 0xFFFF) / 0xFFFF
    return CustomerProfile(number, region, city, persona, business, interval)


class CustomerBook:
    """Per-customer state: last order time and how many times their details changed."""

    def __init__(
        self,
        created: array[int] | None = None,
        last_order: array[int] | None = None,
        versions: bytearray | None = None,
    ) -> None:
        self.created: array[int] = created if created is not None else array("q")
        self.last_order: array[int] = last_order if last_order is not None else array("q")
        self.versions = versions if versions is not None else bytearray()

    def __len__(self) -> int:
        return len(self.last_order)

    def add(self, created_at: int) -> int:
        """Register a new customer; returns their number (1-based)."""
        self.created.append(created_at)
        self.last_order.append(created_at)
        self.versions.append(0)
        return len(self.last_order)

    def change_details(self, number: int) -> int:
        """Record that a customer's contact details changed; returns their new version."""
        version = min(255, self.versions[number - 1] + 1)
        self.versions[number - 1] = version
        return version

    def pick_returning(self, seed: int, rng: random.Random, at: int) -> int:
        """A returning customer, preferring whoever is most overdue for their next order."""
        best, best_due = 1, -1.0
        count = len(self.last_order)
        for _ in range(CANDIDATES_PER_PICK):
            number = rng.randrange(count) + 1
            interval = customer_profile(seed, number).interval_days * DAY
            due = (at - self.last_order[number - 1]) / interval
            if due > best_due:
                best, best_due = number, due
        return best

    def to_bytes(self) -> bytes:
        """Serialised form kept in the object store."""
        count = len(self.last_order).to_bytes(8, "little")
        return count + self.created.tobytes() + self.last_order.tobytes() + bytes(self.versions)

    @classmethod
    def from_bytes(cls, data: bytes) -> CustomerBook:
        """Inverse of `to_bytes`."""
        count = int.from_bytes(data[:8], "little")
        created, last_order = array("q"), array("q")
        created.frombytes(data[8 : 8 + 8 * count])
        last_order.frombytes(data[8 + 8 * count : 8 + 16 * count])
        return cls(created, last_order, bytearray(data[8 + 16 * count :]))


def customer_row(
    seed: int, number: int, version: int, created_at: int, updated_at: int
) -> list[str]:
    """The customers CSV row of one customer's details at `version`."""
    profile = customer_profile(seed, number)
    rng = SimRandom(mix(seed, 11, number))
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    changing = SimRandom(mix(seed, 12, number, version))
    city = profile.city
    if profile.business:
        company = f"{last} {rng.choice(BUSINESS_WORDS)}"
        email = f"orders@{last.lower()}-{number}.example.com"
    else:
        company = ""
        provider = changing.choice(("mail", "post", "inbox"))
        email = f"{first.lower()}.{last.lower()}{number}@{provider}.example"
    address = f"{changing.randint(1, 999)} {changing.choice(STREETS)}"
    if company:
        address = f"{company}, {address}"
    return [
        customer_id(number),
        first,
        last,
        email,
        f"+1-555-{changing.randint(0, 9999):04d}",
        address,
        city.name,
        f"{city.postal_prefix}{changing.randint(0, 99):02d}",
        city.country,
        profile.region.code,
        city.timezone,
        "business" if profile.business else "consumer",
        changing.choice(_CHANNELS),
        "true" if changing.random() < 0.62 else "false",
        iso(created_at),
        iso(updated_at),
    ]
