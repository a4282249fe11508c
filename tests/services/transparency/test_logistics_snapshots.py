"""GET /api/transparency/logistics/snapshots: exact rows, filters, search, sorting, pages and bad
queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient

from tests.services.mart_rows import MartWriter
from tests.services.responses import assert_problem, page_of, viewer
from tests.services.transparency.marts import SNAPSHOTS


@pytest.fixture
async def snapshots(marts: MartWriter) -> None:
    """Two distributors, one with a stockist, and a stockist of the other selling in EUR."""
    await marts.add("mart_logistics_sla", subject_type="distributor", subject_id="D001",
                    name="Atlantic Coffee Distribution", distributor_id="D001", region="us-east",
                    country="US", stockists=1, regions_served=["us-east"],
                    cities_served=["New York"], orders_routed_30d=120, sla_days=2,
                    shipments_30d=100, breaches_30d=8, late_days_30d=12,
                    penalty_per_late_day=Decimal("30.00"), penalty_cap=Decimal("210.00"),
                    currency="USD", penalty_amount=Decimal("360.00"), fx_rate=Decimal(1),
                    penalty_amount_base=Decimal("360.00"), on_hand_units=500,
                    avg_daily_units_sold=Decimal("25.00"), days_on_hand=Decimal("20.0"),
                    last_snapshot_date=date(2026, 11, 24), snapshot_age_days=2)  # fmt: skip
    await marts.add("mart_logistics_sla", subject_type="stockist", subject_id="S001",
                    name="Steam Works New York", distributor_id="D001", stockist_id="S001",
                    region="us-east", country="US", regions_served=["us-east"],
                    cities_served=["New York"], orders_routed_30d=40, sla_days=2,
                    shipments_30d=30, breaches_30d=3, late_days_30d=4,
                    penalty_per_late_day=Decimal("14.00"), penalty_cap=Decimal("56.00"),
                    currency="USD", penalty_amount=Decimal("56.00"), fx_rate=Decimal(1),
                    penalty_amount_base=Decimal("56.00"), stock_alerts=2,
                    stock_alert_products=["P0001", "P0007"])  # fmt: skip
    await marts.add("mart_logistics_sla", subject_type="distributor", subject_id="D005",
                    name="Rhine Roasters Supply", distributor_id="D005", region="eu-west",
                    country="DE", stockists=1, regions_served=["eu-west"],
                    cities_served=["Berlin"], shipments_30d=20)  # fmt: skip
    await marts.add("mart_logistics_sla", subject_type="stockist", subject_id="S101",
                    name="Kaffeebar Berlin", distributor_id="D005", stockist_id="S101",
                    region="eu-west", country="DE", regions_served=["eu-west"],
                    cities_served=["Berlin"], shipments_30d=10, breaches_30d=1, late_days_30d=2,
                    penalty_per_late_day=Decimal("25.00"), currency="EUR",
                    penalty_amount=Decimal("50.00"), fx_rate=Decimal("1.080000"),
                    penalty_amount_base=Decimal("54.00"), stock_alerts=1,
                    stock_alert_products=["P0003"])  # fmt: skip


def subjects(body: dict[str, Any]) -> list[str]:
    """subject_id of each row, in order."""
    return [row["subject_id"] for row in body["data"]]


@pytest.mark.usefixtures("snapshots")
async def test_viewer_reads_every_subject_by_type_then_id(transparency_client: AsyncClient) -> None:
    body = page_of(await transparency_client.get(SNAPSHOTS, headers=viewer()))

    assert (body["count"], subjects(body)) == (4, ["D001", "D005", "S001", "S101"])
    assert body["data"][3] == {
        "subject_type": "stockist",
        "subject_id": "S101",
        "name": "Kaffeebar Berlin",
        "distributor_id": "D005",
        "stockist_id": "S101",
        "region": "eu-west",
        "country": "DE",
        "stockists": None,
        "regions_served": ["eu-west"],
        "cities_served": ["Berlin"],
        "orders_routed_30d": 0,
        "sla_days": None,
        "shipments_30d": 10,
        "breaches_30d": 1,
        "late_days_30d": 2,
        "penalty_per_late_day": "25.00",
        "penalty_cap": None,
        "currency": "EUR",
        "penalty_amount": "50.00",
        "fx_rate": "1.080000",
        "penalty_amount_base": "54.00",
        "base_currency": "USD",
        "on_hand_units": None,
        "avg_daily_units_sold": None,
        "days_on_hand": None,
        "last_snapshot_date": None,
        "snapshot_age_days": None,
        "stock_alerts": 1,
        "stock_alert_products": ["P0003"],
        "as_of_date": "2026-11-26",
        "refreshed_at": "2026-11-27T06:00:00Z",
    }
    assert body["data"][0]["days_on_hand"] == "20.0"


@pytest.mark.usefixtures("snapshots")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"subject_type": "stockist"}, ["S001", "S101"]),
        ({"subject_type": "distributor"}, ["D001", "D005"]),
        ({"region": "eu-west"}, ["D005", "S101"]),
        ({"distributor_id": "D001"}, ["D001", "S001"]),
        ({"with_alerts": "true"}, ["S001", "S101"]),
        ({"with_alerts": "false"}, ["D001", "D005"]),
        ({"with_alerts": "true", "region": "us-east"}, ["S001"]),
        ({"q": "berlin"}, ["S101"]),
        ({"q": "d00"}, ["D001", "D005"]),
        ({"region": "nowhere"}, []),
    ],
)
async def test_filters_and_search_select_exactly_the_matching_subjects(
    transparency_client: AsyncClient, params: dict[str, str], expected: list[str]
) -> None:
    body = page_of(await transparency_client.get(SNAPSHOTS, params=params, headers=viewer()))

    assert (subjects(body), body["count"]) == (expected, len(expected))


@pytest.mark.usefixtures("snapshots")
@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-breaches_30d", ["D001", "S001", "S101", "D005"]),
        ("penalty_amount_base", ["S101", "S001", "D001", "D005"]),  # 54, 56, 360, none last
        ("-stock_alerts,subject_id", ["S001", "S101", "D001", "D005"]),
        ("region,-subject_id", ["S101", "D005", "S001", "D001"]),
        ("name", ["D001", "S101", "D005", "S001"]),
    ],
)
async def test_sorting_by_allowed_keys(
    transparency_client: AsyncClient, sort: str, expected: list[str]
) -> None:
    body = page_of(
        await transparency_client.get(SNAPSHOTS, params={"sort": sort}, headers=viewer())
    )

    assert subjects(body) == expected


@pytest.mark.usefixtures("snapshots")
async def test_pages_carry_the_total_of_all_matching_subjects(
    transparency_client: AsyncClient,
) -> None:
    body = page_of(
        await transparency_client.get(
            SNAPSHOTS,
            params={"limit": 1, "offset": 1, "subject_type": "stockist"},
            headers=viewer(),
        )
    )

    assert (body["count"], body["limit"], body["offset"], subjects(body)) == (2, 1, 1, ["S101"])


@pytest.mark.parametrize(
    "params",
    [
        {"subject_type": "carrier"},  # carriers have no contract, hence no SLA row
        {"with_alerts": "sometimes"},
        {"sort": "base_currency"},
        {"sort": "-"},
        {"region": "r" * 65},
        {"q": "q" * 101},
        {"limit": 1000},
    ],
)
async def test_bad_filters_are_422_problems(
    transparency_client: AsyncClient, params: dict[str, str | int]
) -> None:
    response = await transparency_client.get(SNAPSHOTS, params=params, headers=viewer())

    assert assert_problem(response, 422)["errors"]
