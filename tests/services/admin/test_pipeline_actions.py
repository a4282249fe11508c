"""The pipeline actions start the flows' Prefect deployments on a real (temporary) Prefect
server and answer 202 with the flow run; nothing to do is a 409, an unknown file a 404, and an
orchestrator that cannot be reached a 503, never a 500."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient
from prefect import get_client
from prefect.settings import PREFECT_API_URL
from prefect.testing.utilities import prefect_test_harness

from flows.orchestration import build_deployments
from flows.settings import FlowSettings
from services.admin.app import create_app
from shared.identity import Role
from tests.conftest import TestDatabase, free_port
from tests.services.admin.back_office import as_role
from tests.services.admin.conftest import admin_settings
from tests.services.admin.pipeline_runs import PipelineHistory, make_pipeline_history
from tests.services.conftest import client_for

BASE = "/api/admin/pipeline"
ACTIONS = {"replay_rejects", "retry_quarantined_file"}


def admin_headers() -> dict[str, str]:
    """An admin's identity headers, signed now (assertions expire within a minute)."""
    return as_role(Role.ADMIN)


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[str]:
    """A temporary Prefect server serving this module's deployments; its API URL."""
    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


@pytest.fixture
async def deployments(prefect_api: str, tmp_path: Path) -> dict[str, Any]:
    """The operator deployments registered on the server, by flow name."""
    settings = FlowSettings(_env_file=None, data_dir=tmp_path)
    registered = {}
    # Built off the event loop: `to_deployment` called from async code returns a coroutine.
    for deployment in await asyncio.to_thread(build_deployments, settings):
        if deployment.flow_name in ACTIONS:
            registered[deployment.flow_name] = await deployment.apply()  # type: ignore[misc]
    return registered


@pytest.fixture
async def history(database: TestDatabase, tmp_path: Path) -> PipelineHistory:
    return await make_pipeline_history(database, tmp_path / "flows")


async def admin_with(
    database: TestDatabase, tmp_path: Path, **overrides: Any
) -> AsyncIterator[AsyncClient]:
    app = create_app(admin_settings(database, tmp_path / "admin", **overrides))
    async for client in client_for(app):
        yield client


@pytest.fixture
async def admin(
    database: TestDatabase, tmp_path: Path, prefect_api: str
) -> AsyncIterator[AsyncClient]:
    """The admin service starting deployments on the test Prefect server."""
    async for client in admin_with(database, tmp_path, prefect_api_url=prefect_api):
        yield client


async def flow_run(flow_run_id: str) -> Any:
    async with get_client() as client:
        return await client.read_flow_run(uuid.UUID(flow_run_id))


@pytest.mark.slow
async def test_replaying_rejects_starts_a_flow_run_of_the_replay_deployment(
    history: PipelineHistory, deployments: dict[str, Any], admin: AsyncClient
) -> None:
    response = await admin.post(
        f"{BASE}/rejects/replay", json={"entity": "orders"}, headers=admin_headers()
    )

    assert response.status_code == 202, response.text
    body = response.json()
    assert body["deployment"] == "replay_rejects/replay-rejects"
    run = await flow_run(body["flow_run_id"])
    assert run.deployment_id == deployments["replay_rejects"]
    assert run.parameters == {"entity": "orders", "rule": None}
    # Nothing open for that entity or rule: nothing to start.
    for nothing in ({"entity": "customers"}, {"rule": "NO_SUCH_RULE"}):
        refused = await admin.post(f"{BASE}/rejects/replay", json=nothing, headers=admin_headers())
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    unknown_field = await admin.post(
        f"{BASE}/rejects/replay", json={"x": 1}, headers=admin_headers()
    )
    assert unknown_field.status_code == 422


@pytest.mark.slow
async def test_retrying_a_quarantined_file_starts_a_flow_run_naming_it_and_the_actor(
    history: PipelineHistory, deployments: dict[str, Any], admin: AsyncClient
) -> None:
    url = f"{BASE}/quarantine/{history.quarantine_id}/retry"

    response = await admin.post(url, headers=admin_headers())

    assert response.status_code == 202, response.text
    run = await flow_run(response.json()["flow_run_id"])
    assert run.deployment_id == deployments["retry_quarantined_file"]
    assert run.parameters["quarantine_id"] == history.quarantine_id
    assert run.parameters["actor"]
    missing = await admin.post(f"{BASE}/quarantine/999/retry", headers=admin_headers())
    assert missing.status_code == 404, missing.text
    assert (
        await admin.post(f"{BASE}/quarantine/0/retry", headers=admin_headers())
    ).status_code == 422


async def test_a_resolved_file_is_nothing_to_retry(
    history: PipelineHistory, database: TestDatabase, admin_client: AsyncClient
) -> None:
    await database.fetch(
        "UPDATE ops.quarantined_files SET status = 'discarded', resolved_at = now(),"
        " resolved_by = 'ops', resolution_note = 'not ours'"
    )
    response = await admin_client.post(
        f"{BASE}/quarantine/{history.quarantine_id}/retry", headers=admin_headers()
    )
    assert response.status_code == 409, response.text
    assert "discarded" in response.json()["detail"]


@pytest.mark.parametrize("where", ["unset", "closed port"])
async def test_an_unreachable_orchestrator_is_a_503(
    history: PipelineHistory, database: TestDatabase, tmp_path: Path, where: str
) -> None:
    url = None if where == "unset" else f"http://127.0.0.1:{free_port()}/api"
    async for client in admin_with(database, tmp_path, prefect_api_url=url, prefect_timeout_s=2):
        for path in ("/rejects/replay", f"/quarantine/{history.quarantine_id}/retry"):
            response = await client.post(f"{BASE}{path}", headers=admin_headers())
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert "ECOM_PREFECT_API_URL" in response.json()["detail"] or where != "unset"
