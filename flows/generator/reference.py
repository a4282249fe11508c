"""Reference data: products, distributors, stockists, carriers, CSRs and FX base rates.

The CSVs in `reference_data/` are written by `write_reference_data` (`ecom generate-reference`),
never by hand; a test proves the shipped files equal what this module generates. The generator
reads them from `DATA_PIPELINE_SOURCE_DIR` when that is set, so a demo can swap the catalogue.
"""

from __future__ import annotations

import csv
import dataclasses
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from flows.generator.money import format_cents, parse_cents
from flows.generator.regions import REGION_BY_CODE, REGIONS
from flows.generator.vocabulary import FIRST_NAMES, LAST_NAMES, SHOP_PREFIXES

PACKAGED_REFERENCE_DIR = Path(__file__).parent / "reference_data"
REFERENCE_SEED = 20260101
CONTRACT_START = date(2025, 1, 1)


@dataclass(frozen=True)
class Product:
    """A catalogue item; prices are USD cents, `brew_method` groups items bought together."""

    product_id: str
    sku: str
    name: str
    category: str
    brew_method: str
    price: int
    cost: int
    sustainability_score: int
    weight_grams: int
    popularity: int


@dataclass(frozen=True)
class Distributor:
    """A regional distributor with its delivery SLA and late-delivery penalty terms."""

    distributor_id: str
    name: str
    region: str
    country: str
    currency: str
    sla_days: int
    penalty_per_late_day: int
    penalty_cap: int
    on_time_rate: float


@dataclass(frozen=True)
class Stockist:
    """A shop that sells our goods, supplied by its region's distributor."""

    stockist_id: str
    name: str
    distributor_id: str
    region: str
    country: str
    city: str
    currency: str
    sla_days: int
    penalty_per_late_day: int
    penalty_cap: int
    on_time_rate: float


@dataclass(frozen=True)
class Carrier:
    """A parcel carrier serving a region."""

    carrier: str
    region: str
    transit_days: int
    on_time_rate: float


@dataclass(frozen=True)
class Csr:
    """A customer service representative."""

    csr_id: str
    name: str
    team: str
    timezone: str
    skill: float


@dataclass(frozen=True)
class FxBase:
    """A currency's value in USD on the reference date and how much it moves per day."""

    currency: str
    usd_per_unit: float
    daily_volatility: float


@dataclass(frozen=True)
class ReferenceData:
    """Everything the simulation reads that is not generated per batch."""

    products: tuple[Product, ...]
    distributors: tuple[Distributor, ...]
    stockists: tuple[Stockist, ...]
    carriers: tuple[Carrier, ...]
    csrs: tuple[Csr, ...]
    fx: tuple[FxBase, ...]


# (name, category, brew method, lowest and highest USD price, grams) per product line.
_PRODUCT_LINES = (
    ("House Espresso Blend", "espresso", "espresso", 14, 18, 250),
    ("Dark Roast Espresso", "espresso", "espresso", 15, 19, 250),
    ("Decaf Espresso", "espresso", "espresso", 15, 20, 250),
    ("Ethiopia Guji Espresso", "espresso", "espresso", 18, 24, 250),
    ("Home Espresso Machine", "equipment", "espresso", 380, 520, 9000),
    ("Prosumer Espresso Machine", "equipment", "espresso", 1250, 1650, 21000),
    ("Espresso Burr Grinder", "equipment", "espresso", 240, 420, 5000),
    ("Tamper 58mm", "accessories", "espresso", 28, 45, 450),
    ("Milk Pitcher 600ml", "accessories", "espresso", 18, 28, 300),
    ("Knock Box", "accessories", "espresso", 22, 35, 800),
    ("Ethiopia Yirgacheffe", "beans", "pour_over", 17, 23, 250),
    ("Kenya Nyeri AA", "beans", "pour_over", 19, 26, 250),
    ("Colombia Huila", "beans", "pour_over", 15, 19, 250),
    ("Rwanda Nyamasheke", "beans", "pour_over", 17, 22, 250),
    ("Pour-Over Dripper", "equipment", "pour_over", 24, 38, 400),
    ("Gooseneck Kettle", "equipment", "pour_over", 55, 95, 1100),
    ("Hand Grinder", "equipment", "pour_over", 65, 140, 700),
    ("Paper Filters (100)", "accessories", "pour_over", 7, 11, 150),
    ("Glass Server 600ml", "accessories", "pour_over", 22, 32, 400),
    ("Sumatra Mandheling", "beans", "french_press", 15, 19, 250),
    ("Brazil Cerrado", "beans", "french_press", 13, 16, 250),
    ("French Press Coarse Grind", "ground", "french_press", 12, 15, 250),
    ("French Press 1L", "equipment", "french_press", 32, 55, 900),
    ("Replacement Mesh Filter", "accessories", "french_press", 8, 12, 50),
    ("Cold Brew Coarse Blend", "ground", "cold_brew", 14, 18, 500),
    ("Cold Brew Bottle Kit", "equipment", "cold_brew", 30, 45, 1000),
    ("Cold Brew Filter Bags (20)", "accessories", "cold_brew", 9, 13, 100),
    ("Italian Roast Ground", "ground", "moka", 11, 14, 250),
    ("Moka Pot 6-cup", "equipment", "moka", 35, 55, 700),
    ("Moka Gasket Set", "accessories", "moka", 6, 9, 30),
    ("Ceramic Mug", "accessories", "any", 14, 22, 350),
    ("Travel Tumbler", "accessories", "any", 25, 38, 300),
    ("Digital Coffee Scale", "equipment", "any", 35, 65, 500),
    ("Descaler (3 doses)", "accessories", "any", 12, 16, 300),
)
_BEAN_CATEGORIES = {"espresso", "beans", "ground"}
_DISTRIBUTOR_NAMES = {
    "us-east": "Atlantic Coffee Distribution",
    "us-central": "Heartland Beverage Supply",
    "us-west": "Pacific Roasters Logistics",
    "canada": "Maple Leaf Provisions",
    "uk": "Albion Coffee Trading",
    "eu": "EuroBrew Distribution",
    "apac": "Southern Cross Coffee",
}


def _products(rng: random.Random) -> list[Product]:
    products: list[Product] = []
    for name, category, method, low, high, grams in _PRODUCT_LINES:
        sizes = [(name, grams, 1.0)]
        if category in _BEAN_CATEGORIES:
            sizes.append((f"{name} 1kg", 1000, 3.4))
            sizes[0] = (f"{name} {grams}g", grams, 1.0)
        for label, weight, multiplier in sizes:
            number = len(products) + 1
            price = round(rng.uniform(low, high) * multiplier) * 100 - 1  # x.99 pricing
            margin = rng.uniform(0.35, 0.6)
            products.append(
                Product(
                    product_id=f"P{number:04d}",
                    sku=f"{category[:3].upper()}-{method[:3].upper()}-{number:04d}",
                    name=label,
                    category=category,
                    brew_method=method,
                    price=price,
                    cost=round(price * (1 - margin)),
                    sustainability_score=rng.randint(35, 98),
                    weight_grams=weight,
                    popularity=rng.randint(1, 10) * (3 if category in _BEAN_CATEGORIES else 1),
                )
            )
    return products


def _fx_usd(currency: str) -> float:
    return {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CAD": 0.73, "AUD": 0.66}[currency]


def _distributors(rng: random.Random) -> list[Distributor]:
    distributors = []
    for number, region in enumerate(REGIONS, start=1):
        rate = _fx_usd(region.currency)
        penalty = round(rng.randint(25, 120) / rate) * 100
        distributors.append(
            Distributor(
                distributor_id=f"D{number:03d}",
                name=_DISTRIBUTOR_NAMES[region.code],
                region=region.code,
                country=region.cities[0].country,
                currency=region.currency,
                sla_days=rng.randint(2, 5),
                penalty_per_late_day=penalty,
                penalty_cap=penalty * rng.randint(5, 10),
                on_time_rate=round(rng.uniform(0.82, 0.97), 3),
            )
        )
    return distributors


def _stockists(rng: random.Random, distributors: list[Distributor]) -> list[Stockist]:
    stockists: list[Stockist] = []
    for distributor in distributors:
        region = REGION_BY_CODE[distributor.region]
        for city in region.cities:
            for _ in range(rng.choice((1, 1, 2))):
                number = len(stockists) + 1
                penalty = round(distributor.penalty_per_late_day * rng.uniform(0.3, 0.6), -2)
                stockists.append(
                    Stockist(
                        stockist_id=f"S{number:03d}",
                        name=f"{rng.choice(SHOP_PREFIXES)} {city.name}",
                        distributor_id=distributor.distributor_id,
                        region=region.code,
                        country=city.country,
                        city=city.name,
                        currency=region.currency,
                        sla_days=rng.randint(1, 4),
                        penalty_per_late_day=int(penalty),
                        penalty_cap=int(penalty) * rng.randint(4, 8),
                        on_time_rate=round(rng.uniform(0.78, 0.98), 3),
                    )
                )
    return stockists


def _carriers(rng: random.Random) -> list[Carrier]:
    return [
        Carrier(carrier, region.code, rng.randint(2, 5), round(rng.uniform(0.8, 0.96), 3))
        for region in REGIONS
        for carrier in region.carriers
    ]


def _csrs(rng: random.Random) -> list[Csr]:
    teams = ("tier1", "tier1", "tier1", "tier2", "b2b")
    zones = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London")
    return [
        Csr(
            csr_id=f"CSR{number:03d}",
            name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            team=rng.choice(teams),
            timezone=rng.choice(zones),
            skill=round(rng.uniform(0.55, 1.0), 2),
        )
        for number in range(1, 13)
    ]


def build_reference_data(seed: int = REFERENCE_SEED) -> ReferenceData:
    """The reference tables, deterministic for a seed."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    distributors = _distributors(rng)
    fx = tuple(
        FxBase(currency, _fx_usd(currency), 0.0 if currency == "USD" else 0.004)
        for currency in ("USD", "EUR", "GBP", "CAD", "AUD")
    )
    return ReferenceData(
        products=tuple(_products(rng)),
        distributors=tuple(distributors),
        stockists=tuple(_stockists(rng, distributors)),
        carriers=tuple(_carriers(rng)),
        csrs=tuple(_csrs(rng)),
        fx=fx,
    )


_TABLES: dict[str, type[Any]] = {
    "products": Product,
    "distributors": Distributor,
    "stockists": Stockist,
    "carriers": Carrier,
    "csrs": Csr,
    "fx_base_rates": FxBase,
}
_MONEY_FIELDS = {"price", "cost", "penalty_per_late_day", "penalty_cap"}
RowT = TypeVar("RowT")


def _to_text(name: str, value: object) -> str:
    return format_cents(int(value)) if name in _MONEY_FIELDS else str(value)  # type: ignore[call-overload]


def _from_text(name: str, kind: str, text: str) -> object:
    if name in _MONEY_FIELDS:
        return parse_cents(text)
    return {"int": int, "float": float}.get(kind, str)(text)


def write_reference_data(directory: Path, data: ReferenceData | None = None) -> list[Path]:
    """Write the reference CSVs into `directory`; returns the files written."""
    data = data or build_reference_data()
    directory.mkdir(parents=True, exist_ok=True)
    values = {
        "products": data.products,
        "distributors": data.distributors,
        "stockists": data.stockists,
        "carriers": data.carriers,
        "csrs": data.csrs,
        "fx_base_rates": data.fx,
    }
    written = []
    for table, rows in values.items():
        names = [field.name for field in dataclasses.fields(_TABLES[table])]
        path = directory / f"{table}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(names)
            for row in rows:
                writer.writerow(_to_text(name, getattr(row, name)) for name in names)
        written.append(path)
    return written


def _read_table(directory: Path, table: str, row_type: type[RowT]) -> tuple[RowT, ...]:
    path = directory / f"{table}.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: point DATA_PIPELINE_SOURCE_DIR at a folder written by "
            "`ecom generate-reference --out DIR`, or unset it to use the packaged data"
        )
    fields = {field.name: str(field.type) for field in dataclasses.fields(row_type)}  # type: ignore[arg-type]
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = set(fields) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path} lacks the columns {', '.join(sorted(missing))}")
        return tuple(
            row_type(**{name: _from_text(name, kind, row[name]) for name, kind in fields.items()})
            for row in reader
        )


def load_reference_data(directory: Path | None = None) -> ReferenceData:
    """The reference tables from `directory` (default: the packaged CSVs)."""
    folder = directory or PACKAGED_REFERENCE_DIR
    data = ReferenceData(
        products=_read_table(folder, "products", Product),
        distributors=_read_table(folder, "distributors", Distributor),
        stockists=_read_table(folder, "stockists", Stockist),
        carriers=_read_table(folder, "carriers", Carrier),
        csrs=_read_table(folder, "csrs", Csr),
        fx=_read_table(folder, "fx_base_rates", FxBase),
    )
    problems = reference_problems(data)
    if problems:
        raise ValueError(
            f"reference data in {folder} cannot drive the simulation: " + "; ".join(problems)
        )
    return data


def reference_problems(data: ReferenceData) -> list[str]:
    """What keeps the simulation from using `data` (every region needs its suppliers, ...)."""
    problems = []
    for region in REGIONS:
        for table, rows in (
            ("distributors", data.distributors),
            ("stockists", data.stockists),
            ("carriers", data.carriers),
        ):
            if not any(row.region == region.code for row in rows):
                problems.append(f"{table}.csv has no row for region {region.code}")
    currencies = {fx.currency for fx in data.fx}
    missing = sorted({region.currency for region in REGIONS} - currencies)
    if missing:
        problems.append(f"fx_base_rates.csv lacks {', '.join(missing)}")
    methods = {"espresso", "pour_over", "french_press", "cold_brew", "moka", "any"}
    unknown = sorted({p.brew_method for p in data.products} - methods)
    if unknown:
        problems.append(f"products.csv has unknown brew methods {', '.join(unknown)}")
    if not data.csrs:
        problems.append("csrs.csv is empty")
    return problems
