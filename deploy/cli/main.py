"""`ecom`: set up the database, mint tokens, generate data, run the pipeline, start everything."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from deploy.cli import operate
from deploy.cli.apikeys import apikey_app
from deploy.cli.components import servable, serve_http
from deploy.cli.quarantine import quarantine_app
from shared.database import embedded_server, resolve_database_url
from shared.identity import DEFAULT_TOKEN_TTL_S, Role, issue_token
from shared.log import configure_logging
from shared.settings import EcomSettings, RuntimeMode, SettingsError

app = typer.Typer(
    help="Ecommerce analytics platform.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database set-up.", no_args_is_help=True)
token_app = typer.Typer(help="Caller tokens.", no_args_is_help=True)
pipeline_app = typer.Typer(help="The medallion pipeline.", no_args_is_help=True)
flows_app = typer.Typer(help="Prefect deployments.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(apikey_app, name="apikey")
app.add_typer(pipeline_app, name="pipeline")
app.add_typer(flows_app, name="flows")
pipeline_app.add_typer(quarantine_app, name="quarantine")


if TYPE_CHECKING:
    Component = str
else:
    # What `ecom serve` can run: the HTTP deployables declared in deploy/deployables.py.
    Component = StrEnum("Component", {name.upper(): name for name in servable()})


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


@contextmanager
def local_database(settings: EcomSettings) -> Iterator[None]:
    """Run the embedded PostgreSQL for the duration of a command unless it already runs."""
    if settings.mode is not RuntimeMode.LOCAL or settings.database_url is not None:
        yield
        return
    server = embedded_server(settings)
    started_here = not server.is_running()
    if started_here:
        typer.echo(f"starting embedded PostgreSQL on 127.0.0.1:{server.port} ...", err=True)
        server.start()
    try:
        yield
    finally:
        if started_here:
            server.stop()


@db_app.command("init")
def db_init(
    reset_role_passwords: Annotated[
        bool, typer.Option(help="Set the roles' passwords to this folder's even if they exist.")
    ] = False,
) -> None:
    """Create the database, schemas and roles and migrate every owner (safe to repeat)."""
    from deploy.cli.settings import PlatformSettings
    from deploy.database import init_platform_database
    from shared.bootstrap import BootstrapRefusedError
    from shared.database import platform_database

    settings = PlatformSettings()
    configure_logging(settings.log_level)
    database = platform_database(settings)
    with local_database(settings):
        superuser_url = resolve_database_url(settings, None)
        try:
            asyncio.run(
                init_platform_database(
                    settings, superuser_url, database, reset_passwords=reset_role_passwords
                )
            )
        except BootstrapRefusedError as error:
            _fail(str(error))
    typer.echo(f"database '{database}' is initialised and migrated")


@db_app.command("seed")
def db_seed() -> None:
    """Fill the reminders tables with demo rows, as the reminders role (safe to repeat)."""
    from deploy.cli.settings import PlatformSettings
    from deploy.seed import seed_reminders
    from flows.generator.settings import GeneratorSettings
    from shared.owners import Owner

    settings = PlatformSettings()
    configure_logging(settings.log_level)
    # The generator's reference folder, so that seeded CSRs are the CSRs the data names.
    reference_dir = GeneratorSettings().source_dir
    with local_database(settings):
        url = settings.owner_url(resolve_database_url(settings, None), Owner.REMINDERS)
        counts = asyncio.run(seed_reminders(url, reference_dir))
    typer.echo(f"seeded reminders: {counts}")


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="Role the token grants.")],
    sub: Annotated[str | None, typer.Option(help="Subject (customer id for customers).")] = None,
    ttl: Annotated[
        int | None,
        typer.Option(help="Lifetime in seconds (default 12 h; at most ECOM_MAX_TOKEN_TTL_S)."),
    ] = None,
) -> None:
    """Print a signed caller token (HS256) with the running stack's secret."""
    from deploy.cli.token_secrets import (
        TokenSecretError,
        TokenSigningSettings,
        signing_secret,
        token_subject,
    )
    from shared.identity_settings import TokenLifetimeSettings

    lifetime = TokenLifetimeSettings()
    try:
        ttl = lifetime.checked_token_ttl(
            ttl if ttl is not None else min(DEFAULT_TOKEN_TTL_S, lifetime.max_token_ttl_s)
        )
    except SettingsError as error:
        _fail(str(error))
        return
    try:
        subject = token_subject(role, sub)
        secret = signing_secret(TokenSigningSettings())
    except TokenSecretError as error:
        _fail(str(error))
        return
    typer.echo(issue_token(secret, role, subject, ttl))


@app.command("generate")
def generate(
    orders: Annotated[
        int | None, typer.Option(min=1, help="New orders (default ECOM_BATCH_ORDERS, 30).")
    ] = None,
    days: Annotated[
        float | None,
        typer.Option(min=0.001, help="Backfill this many days of history ending at --as-of."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of a new lake; the same seed gives the same files.")
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"],
            help="The batch's clock (UTC unless an offset is given); default now.",
        ),
    ] = None,
    clean: Annotated[bool, typer.Option(help="Inject no faults.")] = False,
    backfill_if_new: Annotated[
        bool, typer.Option(help="On an empty lake, backfill ECOM_HISTORY_DAYS of history first.")
    ] = False,
) -> None:
    """Write the next batch of synthetic commerce data into landing/ (one CSV per entity)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from flows.generator import GenerateRequest, GeneratorStateError
    from flows.generator import generate as generate_batches
    from flows.settings import FlowSettings

    settings = FlowSettings()
    configure_logging(settings.log_level)
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    request = GenerateRequest(orders, days, seed, as_of, clean, backfill_if_new)
    columns = (*Progress.get_default_columns()[:-1], MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, BarColumn(bar_width=None), transient=True) as progress:
        task = progress.add_task("orders", total=None)

        def show_plan(plan: Any) -> None:
            progress.update(
                task, description=f"batch {plan.batch_id}", total=plan.orders, completed=0
            )

        try:
            results = generate_batches(
                settings,
                request,
                progress=lambda done: progress.advance(task, done),
                on_plan=show_plan,
            )
        except (GeneratorStateError, FileNotFoundError, ValueError) as error:
            raise typer.BadParameter(str(error)) from error
    for result in results:
        faults = sum(result.fault_counts.values())
        redone = " (finished after an interruption)" if result.redone else ""
        typer.echo(
            f"batch {result.plan.batch_id}{redone}:"
            f" {result.new_orders} new orders ({result.new_customers} from new customers),"
            f" {result.rows} rows in {len(result.files)} files,"
            f" {faults} faults on purpose (manifest {result.summary_key})"
        )


@app.command("generate-reference")
def generate_reference(
    out: Annotated[Path, typer.Option(help="Folder to write the reference CSVs into.")],
) -> None:
    """Write the reference CSVs (products, distributors, stockists, carriers, CSRs, FX)."""
    from flows.generator.reference import write_reference_data

    for path in write_reference_data(out):
        typer.echo(f"wrote {path}")


@pipeline_app.command("run")
def pipeline_run() -> None:
    """Run the data_pipeline flow once (landing -> bronze -> silver -> gold)."""
    if _run_prefect_flow("data_pipeline"):
        # The run did everything else and recorded the files: a warning, not a failure.
        typer.secho("warning: files were quarantined (see above)", fg="yellow", err=True)


def _run_prefect_flow(name: str) -> bool:
    """Run one of the flows module's Prefect flows once, in this process, and print its line;
    True when the run quarantined files."""
    from deploy.cli.prefect_env import apply_prefect_environment, prefect_api
    from deploy.cli.settings import PlatformPorts
    from flows.settings import FlowSettings

    settings = FlowSettings()
    platform = PlatformPorts()
    configure_logging(settings.log_level)
    apply_prefect_environment(settings.data_path)
    reserved = set(platform.platform_ports().values())
    with local_database(settings), prefect_api(platform.prefect_api_url, reserved) as api_url:
        if not platform.prefect_api_url:
            typer.echo(f"temporary Prefect server at {api_url}", err=True)
        from flows import orchestration

        async def run_once() -> tuple[str, bool]:
            """The run's summary line and whether it quarantined files; raises if it failed."""
            state = await getattr(orchestration, name)(return_state=True)
            if state.name == orchestration.QUARANTINED:
                return str(state.message), True
            return str(await state.aresult()), False

        summary, quarantined = asyncio.run(run_once())
    typer.echo(summary)
    return quarantined


@pipeline_app.command("loyalty-recommendations")
def pipeline_loyalty_recommendations() -> None:
    """Run the loyalty_recommendations flow once (recommendations, reminder candidates,
    notification outbox)."""
    _run_prefect_flow("loyalty_recommendations")


@pipeline_app.command("trust-transparency")
def pipeline_trust_transparency() -> None:
    """Run the trust_transparency flow once (logistics SLA, trust metrics)."""
    _run_prefect_flow("trust_transparency")


@pipeline_app.command("dispatch-notifications")
def pipeline_dispatch_notifications() -> None:
    """Run the dispatch_notifications flow once (due reminders -> log or webhook)."""
    _run_prefect_flow("dispatch_notifications")


@pipeline_app.command("rebuild-marts")
def pipeline_rebuild_marts() -> None:
    """Rebuild every mart in full from silver and print each mart's content checksum."""
    from flows.pipeline import rebuild_marts
    from flows.settings import FlowSettings

    settings = FlowSettings()
    configure_logging(settings.log_level)
    with local_database(settings):
        summary, checksums = asyncio.run(rebuild_marts(settings))
    typer.echo(summary.describe())
    for table, checksum in checksums.items():
        typer.echo(f"{checksum}  {table}")


@pipeline_app.command("replay")
def pipeline_replay(
    from_date: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First bronze ingest date (UTC)."),
    ] = None,
    to_date: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help="Last bronze ingest date (UTC)."),
    ] = None,
) -> None:
    """Rebuild silver from bronze (all of it without dates), then the marts."""
    from flows.replay import replay_silver
    from flows.settings import FlowSettings

    settings = FlowSettings()
    configure_logging(settings.log_level)
    if from_date and to_date and from_date > to_date:
        raise typer.BadParameter("--from must not be after --to")
    with local_database(settings):
        summary = asyncio.run(
            replay_silver(
                settings,
                from_date=from_date.date() if from_date else None,
                to_date=to_date.date() if to_date else None,
            )
        )
    typer.echo(summary.describe())


@pipeline_app.command("replay-rejects")
def pipeline_replay_rejects(
    entity: Annotated[str | None, typer.Option(help="Only rejects of this entity.")] = None,
    rule: Annotated[str | None, typer.Option(help="Only rejects of this rule.")] = None,
) -> None:
    """Check unresolved rejects again after a fix; rows that pass now reach silver."""
    from flows.replay import replay_rejects
    from flows.settings import FlowSettings

    settings = FlowSettings()
    configure_logging(settings.log_level)
    try:
        with local_database(settings):
            summary = asyncio.run(replay_rejects(settings, entity=entity, rule=rule))
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    typer.echo(summary.describe())


@flows_app.command("serve")
def flows_serve(
    work_pool: Annotated[
        str | None,
        typer.Option(
            help="Register the deployments on this work pool instead of serving them here (an"
            " ECS pool with --image, run by a Prefect ECS worker; else a process pool, run by"
            " `prefect worker start --type process`); then only watch landing/. AWS: the"
            " pool is Terraform's `work_pool`."
        ),
    ] = None,
    image: Annotated[
        str | None,
        typer.Option(help="The image each flow run starts from (an ECS --work-pool)."),
    ] = None,
) -> None:
    """Serve every Prefect deployment with its schedule until interrupted."""
    from deploy.cli.prefect_env import apply_prefect_environment
    from flows.settings import FlowSettings

    if image is not None and work_pool is None:
        raise typer.BadParameter("--image needs --work-pool")
    settings = FlowSettings()
    configure_logging(settings.log_level)
    apply_prefect_environment(settings.data_path)
    if work_pool is not None:
        from deploy.flow_deployments import register_on_work_pool, watch_landing

        for name in register_on_work_pool(settings, work_pool, image):
            typer.echo(f"deployment {name} on work pool {work_pool}")
        asyncio.run(watch_landing(settings))
        return
    from deploy.flow_deployments import all_deployments
    from flows.orchestration import serve_deployments

    serve_deployments(settings, all_deployments(settings))


@app.command("serve")
def serve(
    component: Annotated[
        Component,
        typer.Argument(help="What to run (a deployable of deploy/deployables.py)."),
    ],
) -> None:
    """Run one service or the gateway in the foreground."""
    serve_http(str(component))


@app.command("up")
def up() -> None:
    """Start PostgreSQL, Prefect, the flows, the services and the gateway; Ctrl-C stops all."""
    from deploy.cli.settings import PlatformSettings
    from deploy.cli.up import LocalStack

    settings = PlatformSettings()
    configure_logging(settings.log_level)
    LocalStack(settings).run()


@app.command("report")
def report(
    from_date: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First day (UTC) of the period."),
    ] = None,
    to_date: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day (UTC).")
    ] = None,
) -> None:
    """Write the business report (PDF + Markdown source) under the lake's reports/.

    Default period: the 7 complete days before the revenue mart's newest order date."""
    from deploy.reports.cli import run_report

    run_report(from_date, to_date)


app.command("status")(operate.status)  # ecom status [--json]
app.command("down")(operate.down)  # stops a stack `ecom up` runs, from any terminal


def _next_step(error: Exception) -> str:
    """What to do about an error a command could not handle itself."""
    import asyncpg

    missing = (asyncpg.InvalidAuthorizationSpecificationError, asyncpg.InvalidCatalogNameError)
    if isinstance(error, missing) and "does not exist" in str(error):
        return " (the database is not initialised: run `ecom db init` first)"
    if isinstance(error, asyncpg.InvalidPasswordError) and 'user "ecom_' in str(error):
        # A password server hides whether the role exists: missing, or another folder's.
        return (
            " (the database is not initialised, or its roles have other passwords than this"
            " folder's: run `ecom db init` first)"
        )
    return ""


def main() -> None:
    """Console entry point that turns settings errors into one readable line."""
    os.umask(0o077)  # secrets, bronze files, logs and the data dir: private to their owner
    try:
        app()
    except (SettingsError, ValidationError) as error:
        typer.secho(f"error: invalid settings: {error}", fg=typer.colors.RED, err=True)
        sys.exit(1)
    except Exception as error:  # one readable line instead of a traceback for operators
        message = f"error: {type(error).__name__}: {error}{_next_step(error)}"
        typer.secho(message, fg=typer.colors.RED, err=True)
        sys.exit(1)
