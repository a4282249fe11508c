"""The reminders app as a whole: health, readiness, metrics, problem documents and OpenAPI."""

from __future__ import annotations

from httpx import AsyncClient

from shared.identity import Role
from tests.services.reminders.callers import CONFIGURATIONS, as_role, assert_problem


async def test_health_readiness_and_metrics_answer(reminders_client: AsyncClient) -> None:
    health = await reminders_client.get("/healthz")
    ready = await reminders_client.get("/readyz")
    await reminders_client.get(CONFIGURATIONS, headers=as_role(Role.VIEWER))
    metrics = await reminders_client.get("/metrics")

    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200, ready.text
    assert 'service="reminders"' in metrics.text
    assert 'route="/api/reminders/configurations"' in metrics.text


async def test_unknown_routes_methods_and_malformed_json_are_problems(
    reminders_client: AsyncClient,
) -> None:
    unknown = await reminders_client.get("/api/reminders/nothing-here")
    wrong_method = await reminders_client.put(CONFIGURATIONS, headers=as_role(Role.ADMIN))
    malformed = await reminders_client.post(
        CONFIGURATIONS,
        content=b"{not json",
        headers={**as_role(Role.ADMIN), "content-type": "application/json"},
    )

    assert_problem(unknown, 404)
    assert_problem(wrong_method, 405)
    assert_problem(malformed, 422)
    assert "Traceback" not in malformed.text


async def test_openapi_names_documents_and_exemplifies_every_operation(
    reminders_client: AsyncClient,
) -> None:
    spec = (await reminders_client.get("/openapi.json")).json()
    operations = {
        operation["operationId"]: operation
        for path in spec["paths"].values()
        for operation in path.values()
    }
    expected = {
        "reminders_list_configurations": ("reminders-configurations", {"401", "403", "422"}),
        "reminders_get_configuration": ("reminders-configurations", {"401", "403", "404"}),
        "reminders_create_configuration": ("reminders-configurations", {"401", "403", "409"}),
        "reminders_update_configuration": (
            "reminders-configurations",
            {"401", "403", "404", "409", "412", "422", "428"},
        ),
        "reminders_delete_configuration": (
            "reminders-configurations",
            {"401", "403", "404", "412", "428"},
        ),
        "reminders_list_outbox": ("reminders-outbox", {"401", "403", "422"}),
        "reminders_list_csrs": ("reminders-csr", {"401", "403", "422"}),
        "reminders_get_csr": ("reminders-csr", {"401", "403", "404"}),
        "reminders_put_csr": ("reminders-csr", {"201", "401", "403", "412", "422", "428"}),
        "reminders_create_event": ("reminders-events", {"401", "403", "422"}),
    }
    for operation_id, (tag, statuses) in expected.items():
        operation = operations[operation_id]
        assert operation["tags"] == [tag]
        assert statuses <= set(operation["responses"]), operation_id
        assert "application/problem+json" in operation["responses"]["401"]["content"]
    schemas = spec["components"]["schemas"]
    for name in ("PreferenceCreate", "PreferenceUpdate", "CsrReplace", "EventCreate"):
        assert schemas[name]["examples"], name
        assert schemas[name]["additionalProperties"] is False
    assert not any("export" in operation_id for operation_id in operations)
