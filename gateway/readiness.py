"""The gateway's readiness: every service's own `/readyz`, not merely its process being up.

A service whose database is down still answers `/healthz`; only its `/readyz` (database reachable,
migrations at head) says whether it can serve, so that is what the gateway asks.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from fastapi import Request
from starlette.responses import JSONResponse, Response
from yarl import URL

from gateway.retries import send_upstream
from gateway.upstreams import probe_timeout, services_by_url
from shared.outages import RETRY_AFTER_S
from shared.problems import problem_response

logger = logging.getLogger(__name__)

READY = "ready"
NOT_READY = "not ready"
UNREACHABLE = "unreachable"


async def service_readiness(session: aiohttp.ClientSession, base_url: str, timeout_s: float) -> str:
    """`ready`, `not ready` (it answers, but not 2xx) or `unreachable` for the service."""
    try:
        response = await send_upstream(
            session,
            "GET",
            URL(f"{base_url.rstrip('/')}/readyz"),
            headers=[],
            body=None,
            timeout=probe_timeout(timeout_s),
            allow_redirects=False,
        )
        async with response:
            await response.read()
            if 200 <= response.status < 300:
                return READY
            logger.warning("%s/readyz answered %s", base_url, response.status)
            return NOT_READY
    except (aiohttp.ClientError, TimeoutError) as error:
        logger.warning("readiness probe of %s failed: %r", base_url, error)
        return UNREACHABLE


async def readiness_of_all(
    session: aiohttp.ClientSession, upstreams: dict[str, str], timeout_s: float
) -> dict[str, str]:
    """Readiness of every service by name; each distinct URL probed once, all concurrently."""
    groups = services_by_url(upstreams)
    states = await asyncio.gather(*(service_readiness(session, url, timeout_s) for url in groups))
    return {
        name: state for names, state in zip(groups.values(), states, strict=True) for name in names
    }


async def readiness_response(
    request: Request,
    session: aiohttp.ClientSession,
    upstreams: dict[str, str],
    timeout_s: float,
) -> Response:
    """200 with every service ready, else a 503 problem naming each service that is not."""
    states = await readiness_of_all(session, upstreams, timeout_s)
    down = {name: state for name, state in sorted(states.items()) if state != READY}
    if down:
        return problem_response(
            503,
            "Not ready: " + ", ".join(f"{name} ({state})" for name, state in down.items()) + ".",
            request,
            errors=[{"service": name, "status": state} for name, state in down.items()],
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    return JSONResponse({"status": READY, "services": dict.fromkeys(sorted(states), READY)})
