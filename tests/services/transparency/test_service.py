"""The transparency app as a whole: health, readiness, metrics, problem documents and OpenAPI."""

from __future__ import annotations

from httpx import AsyncClient

from shared.identity import Role
from tests.services.responses import as_role, assert_problem, viewer
from tests.services.transparency.marts import BADGES, METRICS, METRICS_EXPORT, SCORES, SNAPSHOTS


async def test_health_readiness_and_metrics_answer(transparency_client: AsyncClient) -> None:
    health = await transparency_client.get("/healthz")
    ready = await transparency_client.get("/readyz")
    await transparency_client.get(SCORES, headers=viewer())
    metrics = await transparency_client.get("/metrics")

    assert health.json() == {"status": "ok"}
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert 'service="transparency"' in metrics.text
    assert 'route="/api/transparency/trust/scores"' in metrics.text


async def test_unknown_routes_and_methods_are_problems(transparency_client: AsyncClient) -> None:
    admin = as_role(Role.ADMIN)
    unknown = await transparency_client.get("/api/transparency/nothing-here", headers=admin)
    unknown_trust = await transparency_client.get("/api/trust/nothing-here", headers=admin)
    for url in (SCORES, SNAPSHOTS, BADGES, METRICS, METRICS_EXPORT):
        assert_problem(await transparency_client.post(url, headers=admin), 405)
    assert_problem(await transparency_client.delete(SCORES, headers=admin), 405)

    assert_problem(unknown, 404)
    assert_problem(unknown_trust, 404)


async def test_openapi_names_documents_and_exemplifies_every_operation(
    transparency_client: AsyncClient,
) -> None:
    spec = (await transparency_client.get("/openapi.json")).json()
    operations = {
        operation["operationId"]: (path, operation)
        for path, item in spec["paths"].items()
        for operation in item.values()
    }
    expected = {
        "transparency_list_trust_scores": (SCORES, "transparency-trust-scores"),
        "transparency_list_logistics_snapshots": (SNAPSHOTS, "transparency-logistics"),
        "transparency_list_badges": (BADGES, "transparency-badges"),
        "transparency_get_trust_metrics": (METRICS, "transparency-trust-metrics"),
        "transparency_export_trust_metrics": (METRICS_EXPORT, "transparency-trust-metrics"),
    }
    for operation_id, (path, tag) in expected.items():
        found_path, operation = operations[operation_id]
        assert (found_path, operation["tags"]) == (path, [tag])
        assert {"401", "403", "422"} <= set(operation["responses"]), operation_id
        for status in ("401", "403", "422"):
            assert "application/problem+json" in operation["responses"][status]["content"]
    export = operations["transparency_export_trust_metrics"][1]
    assert "text/csv; charset=utf-8" in export["responses"]["200"]["content"]
    schemas = spec["components"]["schemas"]
    for name in (
        "TrustScorePublic",
        "LogisticsSnapshotPublic",
        "SubjectBadgePublic",
        "SubjectBadgesPage",
        "BadgeCriterion",
        "TrustMetricPublic",
        "TrustMetricsPublic",
    ):
        assert schemas[name]["example"], name
    parameters = {parameter["name"] for parameter in spec["paths"][SCORES]["get"]["parameters"]}
    assert parameters == {
        "subject_type", "subject_id", "badge", "from", "to", "breached", "sort", "limit",
        "offset",
    }  # fmt: skip
