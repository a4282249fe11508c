"""GET /api/admin/kpis/daily-revenue: roles, filters, sorting, paging, problem documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from httpx import AsyncClient

from services.admin.app import create_app
from services.admin.settings import AdminSettings
from shared.database import asyncpg_dsn
from shared.identity import ASSERTION_HEADER, Principal, Role, sign_assertion
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.services.conftest import INTERNAL_SECRET, client_for, identity_headers

URL = "/api/admin/kpis/daily-revenue"
ROWS = [
    ("2026-11-01", "web", "north", 3, 1, "30.00"),
    ("2026-11-01", "mobile", "south", 1, 0, "12.50"),
    ("2026-11-02", "web", "north", 2, 0, "40.00"),
]


@pytest.fixture
async def client(database: TestDatabase, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.FLOWS)))
    try:
        await connection.executemany(
            "INSERT INTO admin.mart_daily_revenue (order_date, channel, region, orders,"
            " cancelled_orders, net_revenue, average_order_value, currency, units,"
            " returned_orders)"
            " VALUES ($1::text::date, $2, $3, $4, $5, $6::text::numeric,"
            " round($6::text::numeric / $4::int, 2), 'USD', $4 * 3, $5 + 1)",
            ROWS,
        )
    finally:
        await connection.close()
    settings = AdminSettings(
        _env_file=None,
        data_dir=tmp_path,
        database_url=database.role_url(Owner.ADMIN),
        internal_secret=INTERNAL_SECRET,
    )
    async for http in client_for(create_app(settings)):
        yield http


async def test_viewer_reads_rows_newest_day_first(client: AsyncClient) -> None:
    response = await client.get(URL, headers=identity_headers(Role.VIEWER))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(r["order_date"], r["channel"]) for r in body["data"]] == [
        ("2026-11-02", "web"),
        ("2026-11-01", "mobile"),
        ("2026-11-01", "web"),
    ]
    assert body["data"][0]["net_revenue"] == "40.00"


async def test_anonymous_caller_gets_401_problem(client: AsyncClient) -> None:
    response = await client.get(URL, headers={"x-admin-role": "admin"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


async def test_assertion_signed_with_another_secret_is_anonymous(client: AsyncClient) -> None:
    forged = sign_assertion(
        Principal(sub="x", role=Role.ADMIN), "not-the-internal-secret-but-long-enough-000"
    )
    response = await client.get(URL, headers={ASSERTION_HEADER: forged})
    assert response.status_code == 401


async def test_customer_may_not_read_revenue(client: AsyncClient) -> None:
    response = await client.get(URL, headers=identity_headers(Role.CUSTOMER))
    assert response.status_code == 403
    assert "viewer" in response.json()["detail"]


async def test_filters_sort_and_paging(client: AsyncClient) -> None:
    response = await client.get(
        URL,
        params={"channel": "web", "sort": "net_revenue", "limit": 1, "offset": 1},
        headers=identity_headers(Role.ADMIN),
    )
    body = response.json()
    assert (body["count"], body["limit"], body["offset"]) == (2, 1, 1)
    assert [r["net_revenue"] for r in body["data"]] == ["40.00"]

    ranged = await client.get(
        URL,
        params={"from": "2026-11-02", "to": "2026-11-02"},
        headers=identity_headers(Role.VIEWER),
    )
    assert [r["order_date"] for r in ranged.json()["data"]] == ["2026-11-02"]
    backwards = await client.get(
        URL,
        params={"from": "2026-11-05", "to": "2026-11-01"},
        headers=identity_headers(Role.VIEWER),
    )
    assert (backwards.status_code, backwards.json()["count"]) == (200, 0), "an empty range"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"sort": "password"}, "not valid"),
        ({"limit": 100000}, "not valid"),
        ({"from": "yesterday"}, "not valid"),
    ],
)
async def test_bad_queries_are_422_problems(
    client: AsyncClient, params: dict[str, str | int], fragment: str
) -> None:
    response = await client.get(URL, params=params, headers=identity_headers(Role.VIEWER))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.json()["detail"]


async def test_health_readiness_and_metrics(client: AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}
    await client.get(URL, headers=identity_headers(Role.VIEWER))
    metrics = (await client.get("/metrics")).text
    assert 'route="/api/admin/kpis/daily-revenue"' in metrics


async def test_unknown_route_and_method_are_problems(client: AsyncClient) -> None:
    missing = await client.get("/api/admin/nothing")
    assert (missing.status_code, missing.headers["content-type"]) == (
        404,
        "application/problem+json",
    )
    wrong_method = await client.delete(URL, headers=identity_headers(Role.ADMIN))
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"


async def test_openapi_names_operations_for_client_generation(client: AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"][URL]["get"]
    assert operation["operationId"] == "admin_list_daily_revenue"
    assert {"401", "403", "422"} <= set(operation["responses"])


SUMMARY_URL = "/api/admin/kpis/summary"


async def test_summary_totals_the_days_channels_and_regions_asked_for(
    client: AsyncClient,
) -> None:
    viewer = identity_headers(Role.VIEWER)

    everything = (await client.get(SUMMARY_URL, headers=viewer)).json()
    web_only = (await client.get(SUMMARY_URL, params={"channel": "web"}, headers=viewer)).json()
    first_day = (
        await client.get(
            SUMMARY_URL, params={"from": "2026-11-01", "to": "2026-11-01"}, headers=viewer
        )
    ).json()
    nothing = (await client.get(SUMMARY_URL, params={"region": "nowhere"}, headers=viewer)).json()

    assert everything == {
        "first_day": "2026-11-01",
        "last_day": "2026-11-02",
        "days": 2,
        "orders": 6,
        "cancelled_orders": 1,
        "returned_orders": 4,  # one per row, plus the cancelled count (fixture rule)
        "units": 18,  # three per order
        "net_revenue": "82.50",
        "average_order_value": "13.75",
        "currency": "USD",
    }
    assert (web_only["orders"], web_only["net_revenue"]) == (5, "70.00")
    assert (first_day["days"], first_day["last_day"]) == (1, "2026-11-01")
    assert nothing == {
        "first_day": None,
        "last_day": None,
        "days": 0,
        "orders": 0,
        "cancelled_orders": 0,
        "returned_orders": 0,
        "units": 0,
        "net_revenue": "0",
        "average_order_value": None,
        "currency": None,
    }


async def test_summary_is_for_staff_only(client: AsyncClient) -> None:
    anonymous = await client.get(SUMMARY_URL)
    customer = await client.get(SUMMARY_URL, headers=identity_headers(Role.CUSTOMER, "C1"))

    assert (anonymous.status_code, customer.status_code) == (401, 403)
    assert customer.headers["content-type"] == "application/problem+json"
