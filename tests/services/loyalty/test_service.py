"""The loyalty app as a whole: health, readiness, metrics, problem documents and OpenAPI."""

from __future__ import annotations

from httpx import AsyncClient

from shared.identity import Role
from tests.services.loyalty.marts import BUNDLES, CUSTOMERS, RECOMMENDATIONS, SEGMENTS
from tests.services.responses import as_role, assert_problem


async def test_health_readiness_and_metrics_answer(loyalty_client: AsyncClient) -> None:
    health = await loyalty_client.get("/healthz")
    ready = await loyalty_client.get("/readyz")
    await loyalty_client.get(RECOMMENDATIONS, headers=as_role(Role.VIEWER))
    metrics = await loyalty_client.get("/metrics")

    assert health.json() == {"status": "ok"}
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert 'service="loyalty"' in metrics.text
    assert 'route="/api/loyalty/recommendations"' in metrics.text


async def test_unknown_routes_and_methods_are_problems(loyalty_client: AsyncClient) -> None:
    admin = as_role(Role.ADMIN)
    unknown = await loyalty_client.get("/api/loyalty/nothing-here", headers=admin)
    for url in (RECOMMENDATIONS, f"{CUSTOMERS}/C1", SEGMENTS, BUNDLES):
        assert_problem(await loyalty_client.post(url, headers=admin), 405)
        assert_problem(await loyalty_client.delete(url, headers=admin), 405)
    assert_problem(await loyalty_client.patch(f"{CUSTOMERS}/C1", headers=admin), 405)

    assert_problem(unknown, 404)


async def test_openapi_names_documents_and_exemplifies_every_operation(
    loyalty_client: AsyncClient,
) -> None:
    spec = (await loyalty_client.get("/openapi.json")).json()
    operations = {
        operation["operationId"]: (path, operation)
        for path, item in spec["paths"].items()
        for operation in item.values()
    }
    expected = {
        "loyalty_list_recommendations": (RECOMMENDATIONS, "loyalty-recommendations"),
        "loyalty_list_customers": (CUSTOMERS, "loyalty-customers"),
        "loyalty_get_customer": (f"{CUSTOMERS}/{{customer_id}}", "loyalty-customers"),
        "loyalty_list_segments": (SEGMENTS, "loyalty-segments"),
        "loyalty_list_bundles": (BUNDLES, "loyalty-bundles"),
    }
    for operation_id, (path, tag) in expected.items():
        found_path, operation = operations[operation_id]
        assert (found_path, operation["tags"]) == (path, [tag])
        for status in ("401", "403", "422"):
            assert "application/problem+json" in operation["responses"][status]["content"]
    customer = operations["loyalty_get_customer"][1]
    assert "application/problem+json" in customer["responses"]["404"]["content"]
    schemas = spec["components"]["schemas"]
    for name in (
        "RecommendationPublic",
        "CustomerSummaryPublic",
        "CustomerLoyaltyPublic",
        "SegmentRule",
        "SegmentPublic",
        "SegmentsPublic",
        "BundleProductPublic",
        "BundlePublic",
        "BundlesPublic",
    ):
        assert schemas[name]["example"], name
    parameters = {p["name"] for p in spec["paths"][RECOMMENDATIONS]["get"]["parameters"]}
    assert parameters == {
        "customer_id", "segment", "status", "product_id", "next_best_action", "channel", "basis",
        "discount_tier", "score_min", "sort", "limit", "offset",
    }  # fmt: skip
