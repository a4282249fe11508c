"""Where the retailer sells: regions with their countries, cities, currency, tax and carriers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    """A city customers and stockists live in."""

    name: str
    country: str
    timezone: str
    postal_prefix: str


@dataclass(frozen=True)
class Region:
    """A sales region: one currency, one tax rate, its carriers and its share of demand."""

    code: str
    currency: str
    tax_rate: float
    demand_weight: int
    carriers: tuple[str, ...]
    cities: tuple[City, ...]


REGIONS: tuple[Region, ...] = (
    Region(
        "us-east",
        "USD",
        0.07,
        30,
        ("UPS", "FedEx", "USPS"),
        (
            City("New York", "US", "America/New_York", "100"),
            City("Boston", "US", "America/New_York", "021"),
            City("Philadelphia", "US", "America/New_York", "191"),
            City("Atlanta", "US", "America/New_York", "303"),
            City("Miami", "US", "America/New_York", "331"),
        ),
    ),
    Region(
        "us-central",
        "USD",
        0.07,
        20,
        ("UPS", "FedEx", "USPS"),
        (
            City("Chicago", "US", "America/Chicago", "606"),
            City("Austin", "US", "America/Chicago", "787"),
            City("Minneapolis", "US", "America/Chicago", "554"),
            City("Denver", "US", "America/Denver", "802"),
        ),
    ),
    Region(
        "us-west",
        "USD",
        0.08,
        28,
        ("UPS", "FedEx", "USPS"),
        (
            City("Seattle", "US", "America/Los_Angeles", "981"),
            City("Portland", "US", "America/Los_Angeles", "972"),
            City("San Francisco", "US", "America/Los_Angeles", "941"),
            City("Los Angeles", "US", "America/Los_Angeles", "900"),
        ),
    ),
    Region(
        "canada",
        "CAD",
        0.13,
        7,
        ("Canada Post", "Purolator"),
        (
            City("Toronto", "CA", "America/Toronto", "M5V"),
            City("Montreal", "CA", "America/Toronto", "H2X"),
            City("Vancouver", "CA", "America/Vancouver", "V6B"),
        ),
    ),
    Region(
        "uk",
        "GBP",
        0.20,
        6,
        ("Royal Mail", "DPD"),
        (
            City("London", "GB", "Europe/London", "EC1"),
            City("Manchester", "GB", "Europe/London", "M1"),
            City("Bristol", "GB", "Europe/London", "BS1"),
            City("Edinburgh", "GB", "Europe/London", "EH1"),
        ),
    ),
    Region(
        "eu",
        "EUR",
        0.20,
        6,
        ("DHL", "DPD"),
        (
            City("Berlin", "DE", "Europe/Berlin", "101"),
            City("Paris", "FR", "Europe/Paris", "750"),
            City("Amsterdam", "NL", "Europe/Amsterdam", "101"),
            City("Milan", "IT", "Europe/Rome", "201"),
            City("Madrid", "ES", "Europe/Madrid", "280"),
        ),
    ),
    Region(
        "apac",
        "AUD",
        0.10,
        3,
        ("Australia Post", "DHL"),
        (
            City("Sydney", "AU", "Australia/Sydney", "200"),
            City("Melbourne", "AU", "Australia/Melbourne", "300"),
        ),
    ),
)

REGION_BY_CODE = {region.code: region for region in REGIONS}
CURRENCIES = tuple(sorted({region.currency for region in REGIONS}))
