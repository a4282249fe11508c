"""`ecom report`: write the business report of a period into the lake (registered on the
`ecom` app by shared/cli/main.py; heavy imports happen when the command runs)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import typer

DATE_FORMATS = ["%Y-%m-%d"]


def report(
    from_date: Annotated[
        datetime | None,
        typer.Option("--from", formats=DATE_FORMATS, help="First day (UTC) of the period."),
    ] = None,
    to_date: Annotated[
        datetime | None,
        typer.Option("--to", formats=DATE_FORMATS, help="Last day (UTC), included."),
    ] = None,
) -> None:
    """Write the business report (PDF + Markdown source) under the lake's reports/; default
    period: the 7 complete days before the newest order date in the revenue mart."""
    from flows.reports.build import write_report
    from flows.reports.period import ReportPeriod
    from flows.settings import FlowSettings
    from shared.cli.main import local_database
    from shared.log import configure_logging

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
