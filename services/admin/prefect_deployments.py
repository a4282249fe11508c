"""Starting Prefect deployments from the admin API: the web process asks the orchestrator for a
flow run and returns its id; the work itself runs in the flows worker, never in the request.

Talks to the Prefect REST API at `ECOM_PREFECT_API_URL` (e.g. http://127.0.0.1:4200/api) with a
timeout of `ECOM_PREFECT_TIMEOUT_S` per call.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx


class PrefectUnavailableError(RuntimeError):
    """The orchestrator cannot start the run now (unset, unreachable, or not serving it)."""


async def start_deployment(
    api_url: str | None, timeout_s: float, deployment: str, parameters: dict[str, Any]
) -> str:
    """Create a flow run of `deployment` ("flow/deployment") with `parameters`; its id."""
    if not api_url:
        raise PrefectUnavailableError(
            "The orchestrator is not configured: set ECOM_PREFECT_API_URL to the Prefect API."
        )
    flow_name, deployment_name = deployment.split("/", 1)
    try:
        async with httpx.AsyncClient(base_url=api_url.rstrip("/"), timeout=timeout_s) as client:
            found = await client.get(
                f"/deployments/name/{quote(flow_name, safe='')}/{quote(deployment_name, safe='')}"
            )
            if found.status_code == 404:
                raise PrefectUnavailableError(
                    f"Prefect serves no deployment {deployment!r}: start `ecom flows serve`."
                )
            found.raise_for_status()
            created = await client.post(
                f"/deployments/{found.json()['id']}/create_flow_run",
                json={"parameters": parameters, "tags": ["admin-api"]},
            )
            created.raise_for_status()
            flow_run_id: str = created.json()["id"]
            return flow_run_id
    except httpx.HTTPError as error:
        raise PrefectUnavailableError(
            f"The orchestrator could not start {deployment!r}: {type(error).__name__}: {error}"
        ) from error
    except (KeyError, ValueError) as error:
        raise PrefectUnavailableError(
            f"The orchestrator answered {deployment!r} with an unexpected body: {error}"
        ) from error
