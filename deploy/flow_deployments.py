"""The flows' Prefect deployments for an ECS work pool, from the one list of deployments.

`flows.orchestration.build_deployments` declares every deployment once (name, flow, schedule,
concurrency limit). Locally and in compose, `ecom flows serve` serves them in its own process.
On AWS, `ecom flows serve --work-pool NAME --image URI` registers the same deployments on the
ECS work pool instead (each run becomes a Fargate task of the one image, started by the Prefect
ECS worker that deploy/terraform/modules/prefect_worker runs), then keeps the landing watcher
and the first-run trigger going. Nothing here contacts AWS: the worker does. Without `--image`
the pool is a local process pool instead (`prefect worker start --pool NAME --type process`
runs each flow run as a process on that machine).
"""

from __future__ import annotations

from collections.abc import Coroutine
from contextlib import suppress
from typing import Any

from prefect.deployments.runner import RunnerDeployment
from prefect.types.entrypoint import EntrypointType

from flows.orchestration import build_deployments
from flows.settings import FlowSettings

# The ECS work pool's name: Terraform's `work_pool` variable default (checked by a test).
ECS_WORK_POOL = "ecom-ecs"
# prefect-aws's ECS worker type (`prefect worker start --type ecs`), and Prefect's local one.
ECS_WORKER_TYPE = "ecs"
PROCESS_WORKER_TYPE = "process"


def module_entrypoint(entrypoint: str) -> str:
    """`flows/orchestration.py:data_pipeline` -> `flows.orchestration.data_pipeline`.

    Inside the image the code is an installed package, not files under the working directory,
    so a flow run imports its flow by module path."""
    path, separator, function = entrypoint.partition(":")
    if not separator:
        return entrypoint  # already a module path
    module = path.removesuffix(".py").replace("\\", "/").strip("./").replace("/", ".")
    return f"{module}.{function}"


def worker_type(image: str | None) -> str:
    """The pool's worker type: ECS runs an image; without one, a local process worker."""
    return ECS_WORKER_TYPE if image else PROCESS_WORKER_TYPE


def all_deployments(settings: FlowSettings) -> list[RunnerDeployment]:
    """The flows' own deployments and the composition root's weekly report, which reads the
    services' queries and so may live only here."""
    from deploy.reports.flow import weekly_report_deployment  # matplotlib loads only here

    return [*build_deployments(settings), weekly_report_deployment(settings)]


def work_pool_deployments(
    settings: FlowSettings, work_pool: str, image: str | None = None
) -> list[RunnerDeployment]:
    """Every deployment of `all_deployments`, bound to `work_pool` (and run from `image`)."""
    deployments = all_deployments(settings)
    for deployment in deployments:
        deployment.entrypoint = module_entrypoint(str(deployment.entrypoint))
        # Prefect keeps the entrypoint's kind privately; a module path has no code to pull.
        deployment._entrypoint_type = EntrypointType.MODULE_PATH
        deployment._path = None
        deployment.work_pool_name = work_pool
        if image is not None:
            deployment.job_variables = {**deployment.job_variables, "image": image}
    return deployments


def base_job_template(kind: str) -> dict[str, Any]:
    """A worker type's default base job template (what `prefect work-pool create --type`
    uses): ECS from the installed prefect-aws, process from Prefect itself."""
    if kind == ECS_WORKER_TYPE:
        from prefect_aws.workers.ecs_worker import ECSWorker

        template: dict[str, Any] = ECSWorker.get_default_base_job_template()
        return template
    if kind == PROCESS_WORKER_TYPE:
        from prefect.workers.process import ProcessWorker

        template = ProcessWorker.get_default_base_job_template()
        return template
    raise ValueError(f"no work pool of type {kind!r} here")


class WorkPoolTypeError(ValueError):
    """The named pool exists with another worker type than the deployments need."""


async def ensure_work_pool(work_pool: str, kind: str = ECS_WORKER_TYPE) -> None:
    """Create the work pool unless it exists (its worker may not have started yet); refuse
    one of another type (an ECS pool without an image would run Prefect's own image)."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    async with get_client() as client:
        try:
            existing = await client.read_work_pool(work_pool)
        except ObjectNotFound:
            pool = WorkPoolCreate(
                name=work_pool, type=kind, base_job_template=base_job_template(kind)
            )
            with suppress(ObjectAlreadyExists):  # the worker created it meanwhile
                await client.create_work_pool(pool)
            return
    if existing.type != kind:
        hint = " (give --image)" if existing.type == ECS_WORKER_TYPE else ""
        raise WorkPoolTypeError(
            f"work pool {work_pool!r} is of type {existing.type!r}, not {kind!r}{hint}"
        )


def register_on_work_pool(
    settings: FlowSettings, work_pool: str, image: str | None = None
) -> list[str]:
    """Create or update every deployment on the work pool (ECS with an image, else a process
    pool); their full names."""
    import asyncio

    asyncio.run(ensure_work_pool(work_pool, worker_type(image)))
    names = []
    for deployment in work_pool_deployments(settings, work_pool, image):
        deployment.apply(work_pool_name=work_pool, image=image)
        names.append(f"{deployment.flow_name}/{deployment.name}")
    return names


async def watch_landing(settings: FlowSettings) -> None:
    """What `ecom flows serve` does besides serving, for deployments a worker runs: the first
    data_pipeline run after the start offset and the landing watcher; until cancelled."""
    import asyncio

    from flows.orchestration import LandingWatcher, _trigger_after

    # Stays up (a service) even with both switched off.
    waits: list[Coroutine[Any, Any, object]] = [asyncio.Event().wait()]
    if settings.data_pipeline_start_offset_minutes:
        waits.append(_trigger_after(settings.data_pipeline_start_offset_minutes))
    if settings.landing_poll_seconds:
        waits.append(LandingWatcher(settings).run())
    await asyncio.gather(*waits)
