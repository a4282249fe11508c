"""Pipeline (admins): freshness of each mart, recent runs and a run's ledger, open rejects by
rule with their raw rows, quarantined files, data-contract results, and the two actions the
API offers (replay rejects, retry a quarantined file). Every list is GET /api/admin/pipeline/...
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from console import format as fmt
from console.api import ApiError, Caller
from console.pages import render, require
from console.screens import Screen
from console.session import checked_form
from shared.identity import Role

router = APIRouter()
SCREEN = Screen(path="/pipeline", label="Pipeline", order=70, role=Role.ADMIN)
AdminDep = Annotated[Caller, Depends(require(Role.ADMIN))]
API = "/api/admin/pipeline"
RECENT_RUNS = 20
RECENT_CONTRACT_RESULTS = 50


async def _overview(caller: Caller) -> dict[str, Any]:
    api = caller.api
    marts, runs, rejects, quarantined, contracts = await asyncio.gather(
        api.get(f"{API}/marts"),
        api.get(f"{API}/runs", limit=RECENT_RUNS),
        api.get_all(f"{API}/rejects", resolved="false"),
        api.get_all(f"{API}/quarantine", status="quarantined"),
        api.get(f"{API}/contracts", limit=RECENT_CONTRACT_RESULTS),
    )
    by_rule = Counter((row["entity"], row["rule"]) for row in rejects)
    return {
        "marts": marts,
        "runs": runs["data"],
        "runs_count": runs["count"],
        "rejects_by_rule": sorted(by_rule.items(), key=lambda item: (-item[1], item[0])),
        "open_rejects": len(rejects),
        "quarantined": quarantined,
        "contracts": contracts["data"],
    }


def _overview_page(
    request: Request,
    data: dict[str, Any],
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context = {**data, "notice": notice, "action_error": error, "fmt": fmt}
    return render(request, "pipeline/index.html", context, status=status)


@router.get("/pipeline")
async def pipeline(request: Request, caller: AdminDep) -> Response:
    """Everything an operator checks first, on one page."""
    return _overview_page(request, await _overview(caller))


@router.get("/pipeline/runs/{run_id}")
async def run_detail(request: Request, caller: AdminDep, run_id: uuid.UUID) -> Response:
    """One run and its per-file ledger."""
    run = await caller.api.get(f"{API}/runs/{run_id}")
    return render(request, "pipeline/run.html", {"run": run, "fmt": fmt})


@router.get("/pipeline/rejects")
async def rejects(
    request: Request,
    caller: AdminDep,
    entity: Annotated[str | None, Query(max_length=80)] = None,
    rule: Annotated[str | None, Query(max_length=80)] = None,
    resolved: Annotated[str | None, Query(pattern="^(true|false)?$")] = "false",
) -> Response:
    """Rejected rows (of one entity and rule), each as it arrived."""
    rows = await caller.api.get_all(f"{API}/rejects", entity=entity, rule=rule, resolved=resolved)
    for row in rows:
        row["raw_text"] = json.dumps(row["raw_row"], indent=2, ensure_ascii=False)
    context = {"rows": rows, "entity": entity, "rule": rule, "resolved": resolved}
    return render(request, "pipeline/rejects.html", context)


async def _after_action(
    request: Request, caller: Caller, started: Any | None, error: ApiError | None
) -> Response:
    data = await _overview(caller)
    if error is not None:
        return _overview_page(request, data, error=error.message, status=error.status)
    notice = (
        f"Started {started['deployment']} (flow run {started['flow_run_id']})."
        if isinstance(started, dict)
        else "Started."
    )
    return _overview_page(request, data, notice=notice)


@router.post("/pipeline/rejects/replay")
async def replay_rejects(request: Request, caller: AdminDep) -> Response:
    """Ask the API to replay the open rejects (of one entity and rule, when given)."""
    form = await checked_form(request)
    body = {key: form[key] for key in ("entity", "rule") if form.get(key)}
    try:
        started = await caller.api.post(f"{API}/rejects/replay", json=body)
    except ApiError as error:
        if error.status == 401:
            raise
        return await _after_action(request, caller, None, error)
    return await _after_action(request, caller, started, None)


@router.post("/pipeline/quarantine/{quarantine_id}/retry")
async def retry_quarantined(request: Request, caller: AdminDep, quarantine_id: int) -> Response:
    """Ask the API to put a quarantined file back and load it."""
    await checked_form(request)
    try:
        started = await caller.api.post(f"{API}/quarantine/{quarantine_id}/retry")
    except ApiError as error:
        if error.status == 401:
            raise
        return await _after_action(request, caller, None, error)
    return await _after_action(request, caller, started, None)
