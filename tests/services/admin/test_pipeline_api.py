"""The pipeline API on real runs: a run that rejected a row and quarantined a file, and a run
whose revenue mart broke its data contract; read through the ops.api_* views only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient

from shared.database import asyncpg_dsn
from shared.identity import Role
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.services.admin.back_office import as_role
from tests.services.admin.pipeline_runs import PipelineHistory, make_pipeline_history

BASE = "/api/admin/pipeline"


def admin_headers() -> dict[str, str]:
    """An admin's identity headers, signed now (assertions expire within a minute)."""
    return as_role(Role.ADMIN)


@pytest.fixture
async def history(database: TestDatabase, tmp_path: Path) -> PipelineHistory:
    return await make_pipeline_history(database, tmp_path / "flows")


async def get(client: AsyncClient, path: str, **params: str | int) -> dict[str, Any]:
    response = await client.get(f"{BASE}{path}", params=params, headers=admin_headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_runs_list_newest_first_with_status_totals_and_flags(
    history: PipelineHistory, admin_client: AsyncClient
) -> None:
    runs = await get(admin_client, "/runs")

    assert runs["count"] == 2
    failed, loaded = runs["data"]
    assert (failed["run_id"], failed["status"]) == (str(history.failed_run), "failed")
    assert "range(net_revenue)" in failed["message"]
    assert (loaded["run_id"], loaded["status"], loaded["kind"]) == (
        str(history.loaded_run),
        "quarantined",
        "incremental",
    )
    assert (loaded["rows_read"], loaded["rows_inserted"], loaded["rows_rejected"]) == (2, 1, 1)
    assert loaded["files_quarantined"] == 1
    assert loaded["back_office_synced"] == 1
    assert (await get(admin_client, "/runs", status="failed"))["count"] == 1
    assert (await get(admin_client, "/runs", kind="rebuild"))["count"] == 0
    oldest = await get(admin_client, "/runs", sort="started_at", limit=1)
    assert oldest["data"][0]["run_id"] == str(history.loaded_run)


async def test_one_run_with_its_per_file_ledger(
    history: PipelineHistory, admin_client: AsyncClient
) -> None:
    run = await get(admin_client, f"/runs/{history.loaded_run}")

    [orders] = run["ledger"]
    assert (orders["entity"], orders["original_name"]) == ("orders", "o.csv")
    assert (orders["rows_read"], orders["rows_inserted"], orders["rows_rejected"]) == (2, 1, 1)
    assert orders["replayed_rejects"] is False
    assert run["quarantined"][0]["file"] == "landing/orders/no-header.csv"

    unknown = await admin_client.get(
        f"{BASE}/runs/00000000-0000-4000-8000-000000000000", headers=admin_headers()
    )
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    malformed = await admin_client.get(f"{BASE}/runs/not-a-uuid", headers=admin_headers())
    assert malformed.status_code == 422


async def test_rejects_with_raw_row_and_filters(
    history: PipelineHistory, admin_client: AsyncClient
) -> None:
    rejects = await get(admin_client, "/rejects")

    [reject] = rejects["data"]
    assert (reject["entity"], reject["rule"], reject["run_id"]) == (
        "orders",
        history.reject_rule,
        str(history.loaded_run),
    )
    assert reject["raw_row"]["order_id"] == "O-2"
    assert reject["raw_row"]["currency"] == "XXX"
    assert "XXX" in reject["message"]
    assert reject["resolved_at"] is None
    for filters, count in (
        ({"entity": "orders"}, 1),
        ({"entity": "customers"}, 0),
        ({"rule": history.reject_rule}, 1),
        ({"rule": "NO_SUCH_RULE"}, 0),
        ({"run_id": str(history.loaded_run)}, 1),
        ({"run_id": str(history.failed_run)}, 0),
        ({"resolved": "false"}, 1),
        ({"resolved": "true"}, 0),
    ):
        assert (await get(admin_client, "/rejects", **filters))["count"] == count, filters
    bad = await admin_client.get(
        f"{BASE}/rejects", params={"entity": "x; drop"}, headers=admin_headers()
    )
    assert bad.status_code == 422


async def test_quarantined_files_with_reasons(
    history: PipelineHistory, admin_client: AsyncClient
) -> None:
    files = await get(admin_client, "/quarantine")

    [held] = files["data"]
    assert held["quarantine_id"] == history.quarantine_id
    assert (held["stage"], held["entity"], held["status"]) == ("landing", "orders", "quarantined")
    assert held["error_class"] == "UntrustedHeaderError"
    assert "declared columns" in held["reason"]
    assert (await get(admin_client, "/quarantine", status="retried"))["count"] == 0


async def test_contract_results_per_mart_show_the_failed_check(
    history: PipelineHistory, admin_client: AsyncClient
) -> None:
    failing = await get(admin_client, "/contracts", mart="admin.mart_daily_revenue", status="error")

    [check] = failing["data"]
    assert (check["check_name"], check["run_id"], check["failing_rows"]) == (
        "range(net_revenue)",
        str(history.failed_run),
        1,
    )
    assert check["sample"][0]["net_revenue"] == "-50.00"
    passed = await get(admin_client, "/contracts", run_id=str(history.loaded_run))
    assert passed["count"] > 0
    assert {row["status"] for row in passed["data"]} <= {"pass", "warn"}


async def test_marts_show_the_last_published_build_and_its_freshness(
    history: PipelineHistory, admin_client: AsyncClient
) -> None:
    response = await admin_client.get(f"{BASE}/marts", headers=admin_headers())

    assert response.status_code == 200, response.text
    marts = {mart["mart"]: mart for mart in response.json()}
    revenue = marts["mart_daily_revenue"]
    # The failed build was not published: the last build is the first run's.
    assert revenue["run_id"] == str(history.loaded_run)
    assert revenue["contract_status"] in {"pass", "warn"}
    assert revenue["checks_failed"] == 0
    assert 0 <= revenue["age_seconds"] < 600
    assert revenue["rows"] == 1


async def test_the_admin_role_reads_ops_only_through_the_api_views(
    history: PipelineHistory, database: TestDatabase
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database.role_url(Owner.ADMIN)))
    try:
        assert await connection.fetchval("SELECT count(*) FROM ops.api_pipeline_runs") == 2
        for table in ("ops.pipeline_runs", "silver.rejects", "ops.quarantined_files"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.fetch(f"SELECT 1 FROM {table}")
        views = await connection.fetch(
            "SELECT table_name FROM information_schema.views WHERE table_schema = 'ops'"
        )
        assert len(views) == 7
    finally:
        await connection.close()


async def test_the_dashboard_draws_from_one_response(
    history: PipelineHistory, database: TestDatabase, admin_client: AsyncClient
) -> None:
    # Two more published days: the newest is "today", the older one in the previous week.
    await database.fetch(
        "INSERT INTO admin.mart_daily_revenue (order_date, channel, region, orders, units,"
        " gross_revenue, discounts, net_revenue, new_customers, returning_customers,"
        " cancelled_orders, returned_orders, currency, refreshed_at) VALUES"
        " ('2026-11-30', 'web', 'north', 4, 4, 100, 0, 100, 0, 4, 0, 0, 'USD', now()),"
        " ('2026-11-25', 'web', 'north', 1, 1, 30, 0, 30, 0, 1, 0, 0, 'USD', now())"
    )

    response = await admin_client.get("/api/admin/kpis/dashboard", headers=admin_headers())

    assert response.status_code == 200, response.text
    board = response.json()
    assert (board["day"], board["revenue_today"], board["orders_today"]) == (
        "2026-11-30",
        "100.00",
        4,
    )
    # 2026-11-24..30 holds the 30.00 day; the first run's 10.00 order (2026-11-19) is older.
    assert board["revenue_7d"] == {"value": "130.00", "previous": "10.00"}
    assert board["orders_7d"]["value"] == "5"
    assert board["average_order_value_7d"] == {"value": "26.00", "previous": "10.00"}
    assert [day["day"] for day in board["revenue_trend"]] == [
        "2026-11-19",
        "2026-11-25",
        "2026-11-30",
    ]
    assert board["kpi_snapshot"]["orders"] == 1
    assert board["pipeline"]["last_run_status"] == "failed"
    assert (board["pipeline"]["open_rejects"], board["pipeline"]["quarantined_files"]) == (1, 1)
    assert board["pipeline"]["stalest_mart"] is not None
    asked = await admin_client.get(
        "/api/admin/kpis/dashboard", params={"day": "2026-11-19"}, headers=admin_headers()
    )
    assert asked.json()["revenue_today"] == "10.00"
    bad = await admin_client.get(
        "/api/admin/kpis/dashboard", params={"day": "yesterday"}, headers=admin_headers()
    )
    assert bad.status_code == 422
