"""/api/admin/pipeline: runs and their ledgers, rejects, quarantined files, data contracts and
mart freshness, read through the `ops.api_*` views; and two actions that start the pipeline's
Prefect deployments. Admins only."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import Select, case, func, select

from services.admin.entities import pipeline as views
from services.admin.entities.pipeline import (
    ActionStartedPublic,
    ContractFilters,
    ContractResultPublic,
    MartFreshnessPublic,
    QuarantinedFilePublic,
    QuarantineFilters,
    RejectFilters,
    RejectPublic,
    ReplayRejectsRequest,
    RunDetailPublic,
    RunFilePublic,
    RunFilters,
    RunPublic,
)
from services.admin.prefect_deployments import PrefectUnavailableError, start_deployment
from shared.identity import Principal, Role
from shared.list_route import add_list_route
from shared.problems import ProblemError, problem_responses
from shared.service import SessionDep, require_role

# The deployments `ecom flows serve` serves (flows/operator_actions.py).
REPLAY_REJECTS_DEPLOYMENT = "replay_rejects/replay-rejects"
RETRY_QUARANTINED_DEPLOYMENT = "retry_quarantined_file/retry-quarantined-file"

router = APIRouter(prefix="/api/admin/pipeline", tags=["admin-pipeline"])
AdminCaller = Annotated[Principal, Depends(require_role(Role.ADMIN))]

_runs = APIRouter(prefix="/runs")
add_list_route(
    _runs,
    resource=views.RUNS,
    public=RunPublic,
    filters=RunFilters,
    role=Role.ADMIN,
    operation_id="admin_list_pipeline_runs",
    summary="Pipeline runs, newest first",
    description="Recorded runs: kind, status, row totals, anomaly flags and the summary message.",
)
_rejects = APIRouter(prefix="/rejects")
add_list_route(
    _rejects,
    resource=views.REJECTS,
    public=RejectPublic,
    filters=RejectFilters,
    role=Role.ADMIN,
    operation_id="admin_list_pipeline_rejects",
    summary="Rows silver rejected, newest first",
    description="Each rejected row as it arrived, with its rule and message; filter by entity,"
    " rule, run or whether a replay resolved it.",
)
_quarantine = APIRouter(prefix="/quarantine")
add_list_route(
    _quarantine,
    resource=views.QUARANTINE,
    public=QuarantinedFilePublic,
    filters=QuarantineFilters,
    role=Role.ADMIN,
    operation_id="admin_list_quarantined_files",
    summary="Files a run could not land or load, newest first",
    description="Quarantined files with their stage, error and reason, and how each was resolved.",
)
_contracts = APIRouter(prefix="/contracts")
add_list_route(
    _contracts,
    resource=views.CONTRACTS,
    public=ContractResultPublic,
    filters=ContractFilters,
    role=Role.ADMIN,
    operation_id="admin_list_contract_results",
    summary="Data-contract check results per mart build, newest first",
    description="Each check of each mart build: severity, outcome, failing rows and a sample.",
)
for _list in (_runs, _rejects, _quarantine, _contracts):
    router.include_router(_list)


@router.get(
    "/runs/{run_id}",
    operation_id="admin_get_pipeline_run",
    summary="One pipeline run with its per-file ledger",
    response_model=RunDetailPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_run(session: SessionDep, _caller: AdminCaller, run_id: uuid.UUID) -> RunDetailPublic:
    """The run and the ledger row of every file it loaded (or replayed rejects of)."""
    run = (
        (
            await session.execute(
                select(views.pipeline_runs).where(views.pipeline_runs.c.run_id == run_id)
            )
        )
        .mappings()
        .one_or_none()
    )
    if run is None:
        raise ProblemError(404, f"No pipeline run {run_id}.")
    files = (
        await session.execute(
            select(views.run_files)
            .where(views.run_files.c.run_id == run_id)
            .order_by(views.run_files.c.loaded_at, views.run_files.c.bronze_file_id)
        )
    ).mappings()
    return RunDetailPublic(
        **RunPublic.model_validate(dict(run)).model_dump(),
        ledger=[RunFilePublic.model_validate(dict(row)) for row in files],
    )


def mart_freshness_statement() -> Select[Any]:
    """Each published mart's last build with its contract outcome, stalest first (GET
    /api/admin/pipeline/marts and the business report's freshness table)."""
    builds = views.mart_builds.c
    results = views.contract_results.c
    failed = func.count().filter(results.status != "pass")
    worst = func.max(case((results.status == "error", 2), (results.status == "warn", 1), else_=0))
    # Contract results name the mart's table (admin.mart_x), builds its name (mart_x).
    name = func.split_part(results.mart, ".", 2)
    checks = (
        select(name.label("mart"), results.run_id, failed.label("failed"), worst.label("worst"))
        .group_by(name, results.run_id)
        .subquery()
    )
    return (
        select(
            views.mart_builds,
            func.coalesce(checks.c.failed, 0).label("checks_failed"),
            case((checks.c.worst == 2, "error"), (checks.c.worst == 1, "warn"), else_="pass").label(
                "contract_status"
            ),
        )
        .outerjoin(checks, (checks.c.mart == builds.mart) & (checks.c.run_id == builds.run_id))
        .order_by(builds.built_at, builds.mart)
    )


@router.get(
    "/marts",
    operation_id="admin_list_mart_freshness",
    summary="Each mart's last build, its age and its contract outcome",
    response_model=list[MartFreshnessPublic],
    responses=problem_responses(401, 403),
)
async def list_marts(session: SessionDep, _caller: AdminCaller) -> list[MartFreshnessPublic]:
    """One entry per published mart, stalest first."""
    statement = mart_freshness_statement()
    rows = (await session.execute(statement)).mappings()
    return [MartFreshnessPublic.model_validate(dict(row)) for row in rows]


def _prefect(request: Request) -> tuple[str | None, float]:
    settings = request.app.state.settings
    return settings.prefect_api_url, settings.prefect_timeout_s


async def _start(
    request: Request, deployment: str, parameters: dict[str, Any]
) -> ActionStartedPublic:
    api_url, timeout_s = _prefect(request)
    try:
        flow_run_id = await start_deployment(api_url, timeout_s, deployment, parameters)
    except PrefectUnavailableError as error:
        raise ProblemError(503, str(error), headers={"Retry-After": "30"}) from error
    return ActionStartedPublic(
        flow_run_id=flow_run_id, deployment=deployment, parameters=parameters
    )


@router.post(
    "/rejects/replay",
    operation_id="admin_create_rejects_replay",
    summary="Start a replay of the open rejects (of one entity and/or rule)",
    status_code=202,
    response_model=ActionStartedPublic,
    responses=problem_responses(401, 403, 409, 422, 503),
)
async def replay_rejects(
    request: Request,
    session: SessionDep,
    _caller: AdminCaller,
    body: ReplayRejectsRequest | None = None,
) -> ActionStartedPublic:
    """Starts the `replay-rejects` deployment: open rejects are checked against the current
    rules and data, and rows that pass reach silver. 409 when no open reject matches."""
    chosen = body or ReplayRejectsRequest()
    rejects = views.rejects.c
    statement = select(func.count()).where(rejects.resolved_at.is_(None))
    if chosen.entity is not None:
        statement = statement.where(rejects.entity == chosen.entity)
    if chosen.rule is not None:
        statement = statement.where(rejects.rule == chosen.rule)
    if not await session.scalar(statement):
        raise ProblemError(409, "No open reject matches: there is nothing to replay.")
    return await _start(
        request, REPLAY_REJECTS_DEPLOYMENT, {"entity": chosen.entity, "rule": chosen.rule}
    )


@router.post(
    "/quarantine/{quarantine_id}/retry",
    operation_id="admin_create_quarantined_file_retry",
    summary="Start a retry of a quarantined file",
    status_code=202,
    response_model=ActionStartedPublic,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def retry_quarantined_file(
    request: Request,
    session: SessionDep,
    caller: AdminCaller,
    quarantine_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> ActionStartedPublic:
    """Starts the `retry-quarantined-file` deployment: the file goes back into landing (or the
    loads) and a pipeline run takes it. 404 for an unknown id, 409 when it is already resolved."""
    status = await session.scalar(
        select(views.quarantined_files.c.status).where(
            views.quarantined_files.c.quarantine_id == quarantine_id
        )
    )
    if status is None:
        raise ProblemError(404, f"No quarantined file #{quarantine_id}.")
    if status != "quarantined":
        raise ProblemError(409, f"#{quarantine_id} was already {status}: nothing to retry.")
    return await _start(
        request,
        RETRY_QUARANTINED_DEPLOYMENT,
        {"quarantine_id": quarantine_id, "actor": caller.sub},
    )
