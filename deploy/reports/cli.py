"""`ecom report` (declared in deploy/cli/main.py): write the business report of a period into
the lake and print where it went, with the headline KPIs."""

from __future__ import annotations

import asyncio
from datetime import datetime

import typer

from deploy.reports.build import write_report
from deploy.reports.period import ReportPeriod
from flows.settings import FlowSettings
from shared.log import configure_logging


def run_report(from_date: datetime | None, to_date: datetime | None) -> None:
    """The command's body: check the period, start the embedded database if need be, write."""
    from deploy.cli.main import local_database

    first = from_date.date() if from_date else None
    last = to_date.date() if to_date else None
    if first and last:
        try:
            ReportPeriod(first, last)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from error
    settings = FlowSettings()
    configure_logging(settings.log_level)
    with local_database(settings):
        result = asyncio.run(write_report(settings, first, last))
    typer.echo(f"report {result.period.describe()}:")
    typer.echo(f"  {result.pdf_url}")
    typer.echo(f"  {result.markdown_url} (source)")
    typer.echo(result.headline_markdown())
