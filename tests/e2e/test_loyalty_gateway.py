"""The loyalty marts end to end: generated history -> pipeline -> loyalty_recommendations -> the
loyalty service behind the gateway, over sockets, with bearer tokens."""

from __future__ import annotations

from pathlib import Path

import httpx

from flows.generator import GenerateRequest, generate
from flows.gold.build import GoldFlow
from flows.pipeline import run_data_pipeline, run_gold_flow
from flows.settings import FlowSettings
from shared.identity import Role
from shared.owners import Owner
from tests.conftest import TestDatabase
from tests.e2e.conftest import bearer


async def test_loyalty_marts_built_from_generated_history_are_served_through_the_gateway(
    database: TestDatabase, tmp_path: Path, gateway_url: str
) -> None:
    settings = FlowSettings(
        _env_file=None, data_dir=tmp_path, database_url=database.role_url(Owner.FLOWS)
    )
    generate(settings, GenerateRequest(orders=300, days=10, seed=11, clean=True))
    await run_data_pipeline(settings)
    await run_gold_flow(settings, GoldFlow.LOYALTY_RECOMMENDATIONS)
    [[customer_id, recommended]] = await database.fetch(
        "SELECT customer_id, count(*) FROM loyalty.mart_loyalty_recommendations"
        " GROUP BY customer_id ORDER BY customer_id LIMIT 1"
    )
    viewer = bearer(Role.VIEWER, "e2e-viewer")
    customer = bearer(Role.CUSTOMER, customer_id)

    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        listed = await client.get("/api/loyalty/recommendations", headers=viewer)
        own = await client.get(
            "/api/loyalty/recommendations", params={"limit": 500}, headers=customer
        )
        summary = await client.get(f"/api/loyalty/customers/{customer_id}", headers=customer)
        segments = await client.get("/api/loyalty/segments", headers=viewer)
        bundles = await client.get("/api/loyalty/bundles", headers=viewer)
        refused = await client.get("/api/loyalty/segments", headers=customer)
        anonymous = await client.get("/api/loyalty/recommendations")
        merged = await client.get("/api/openapi.json")

    [[summaries, recommendations, recommended_customers]] = await database.fetch(
        "SELECT (SELECT count(*) FROM loyalty.mart_customer_summary),"
        " (SELECT count(*) FROM loyalty.mart_loyalty_recommendations),"
        " (SELECT count(DISTINCT customer_id) FROM loyalty.mart_loyalty_recommendations)"
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["count"] == recommendations > 0
    assert own.json()["count"] == recommended
    assert {row["customer_id"] for row in own.json()["data"]} == {customer_id}
    assert summary.status_code == 200, summary.text
    assert [r["rank"] for r in summary.json()["recommendations"]] == list(range(1, recommended + 1))
    assert segments.json()["customers"] == summaries > 0
    assert sum(row["customers"] for row in segments.json()["data"]) == summaries
    # Each customer's recommendations are all of its one segment: bundles partition them.
    assert sum(bundle["customers"] for bundle in bundles.json()["data"]) == recommended_customers
    assert (refused.status_code, anonymous.status_code) == (403, 401)
    operations = {
        operation.get("operationId")
        for path in merged.json()["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict)
    }
    assert {
        "loyalty_list_recommendations",
        "loyalty_get_customer",
        "loyalty_list_segments",
        "loyalty_list_bundles",
    } <= operations
