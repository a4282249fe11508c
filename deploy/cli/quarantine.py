"""`ecom pipeline quarantine`: list the files the pipeline refused, retry them after a fix, or
discard one with a record of who and why."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import asyncpg
import typer

from shared.log import configure_logging
from shared.objectstore import ObjectStore

quarantine_app = typer.Typer(
    help="Files a run could not land or load: list (the default), retry after a fix, discard.",
    invoke_without_command=True,
)
Result = TypeVar("Result")


def _with_connection(
    work: Callable[[asyncpg.Connection, ObjectStore], Awaitable[Result]],
) -> Result:
    """Run `work(connection, store)` as the pipeline role, the embedded server started if
    needed; an operator mistake (unknown id, already resolved) ends the command with its reason."""
    from deploy.cli.main import local_database
    from flows.quarantine import QuarantineError
    from flows.settings import FlowSettings
    from shared.database import asyncpg_dsn, resolve_database_url
    from shared.owners import Owner

    settings = FlowSettings()
    configure_logging(settings.log_level)

    async def connected() -> Result:
        dsn = asyncpg_dsn(resolve_database_url(settings, Owner.FLOWS))
        connection = await asyncpg.connect(dsn)
        try:
            return await work(connection, ObjectStore.from_settings(settings))
        finally:
            await connection.close()

    try:
        with local_database(settings):
            return asyncio.run(connected())
    except QuarantineError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from error


@quarantine_app.callback()
def quarantine_list(
    context: typer.Context,
    history: Annotated[
        bool, typer.Option("--history", help="Also files already retried or discarded.")
    ] = False,
) -> None:
    """List the quarantined files with their reasons."""
    if context.invoked_subcommand is not None:
        return
    from flows.quarantine import NEXT_STEP, quarantined_files

    files = _with_connection(
        lambda connection, _store: quarantined_files(connection, include_resolved=history)
    )
    if not files:
        typer.echo("no file is quarantined")
        return
    for file in files:
        where = file.quarantine_key or f"bronze file {file.bronze_file_id}"
        typer.echo(
            f"#{file.quarantine_id}  {file.status}  {file.stage}  {file.entity}  {file.source_key}"
            f"  ({file.rows} rows, {where}, {file.quarantined_at:%Y-%m-%d %H:%M:%S %Z})"
        )
        typer.echo(f"    {file.error_class}: {file.reason}")
        if file.resolved_by:
            typer.echo(f"    {file.status} by {file.resolved_by}: {file.resolution_note}")
    if any(file.status == "quarantined" for file in files):
        typer.echo(f"next: {NEXT_STEP}")


@quarantine_app.command("retry")
def quarantine_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Quarantine ids to put back.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every quarantined file.")] = False,
) -> None:
    """Put quarantined files back after a fix: a landing file (as it now lies under
    quarantine/, corrected or not) into landing/, a bronze file into the next run's loads."""
    from flows.quarantine import quarantined_files, retry_quarantined

    if bool(ids) == every:
        raise typer.BadParameter("give quarantine ids or --all (not both)")
    actor = getpass.getuser()

    async def retry(connection: asyncpg.Connection, store: ObjectStore) -> list[str]:
        chosen = ids or [f.quarantine_id for f in await quarantined_files(connection)]
        return [
            f"#{held.quarantine_id} {held.source_key}: {held.resolution_note}"
            for held in [
                await retry_quarantined(connection, store, quarantine_id, actor)
                for quarantine_id in chosen
            ]
        ]

    lines = _with_connection(retry)
    for line in lines or ["no file is quarantined"]:
        typer.echo(line)
    if lines:
        typer.echo("the next `ecom pipeline run` (or the schedule) takes them")


@quarantine_app.command("discard")
def quarantine_discard(
    quarantine_id: Annotated[int, typer.Argument(help="The quarantine id to drop.")],
    reason: Annotated[str, typer.Option(help="Why it is dropped (kept in the record).")],
) -> None:
    """Drop a quarantined file for good, recording who and why: a landing file is deleted from
    quarantine/, a bronze file stays in bronze and is never loaded."""
    from flows.quarantine import discard_quarantined

    actor = getpass.getuser()
    held = _with_connection(
        lambda connection, store: discard_quarantined(
            connection, store, quarantine_id, actor, reason
        )
    )
    typer.echo(f"#{held.quarantine_id} {held.source_key} discarded by {actor}: {reason}")
