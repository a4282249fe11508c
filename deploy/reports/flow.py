"""The `weekly-report` Prefect flow: the same report as `ecom report`, plus an artifact with
the headline table and the report's location."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact
from prefect.deployments.runner import RunnerDeployment

from deploy.reports.build import write_report
from flows.settings import FlowSettings

ARTIFACT_KEY = "weekly-report"


@flow(name="weekly_report", description="marts -> business report (PDF + Markdown) in reports/")
async def weekly_report(date_from: date | None = None, date_to: date | None = None) -> str:
    """Write the report of the last seven complete days (or of the days given) and publish
    its headline KPIs and link as the `weekly-report` artifact."""
    result = await write_report(FlowSettings(), date_from, date_to)
    markdown = (
        f"## Business report {result.period.describe()}\n\n"
        f"[report.pdf]({result.pdf_url}) · [report.md (source)]({result.markdown_url})\n\n"
        f"{result.headline_markdown()}\n"
    )
    await acreate_markdown_artifact(
        markdown=markdown,
        key=ARTIFACT_KEY,
        description=f"Business report {result.period.describe()}",
    )
    return f"report {result.period.describe()} written to {result.pdf_url}"


def weekly_report_deployment(settings: FlowSettings) -> RunnerDeployment:
    """The scheduled deployment (ECOM_WEEKLY_REPORT_SCHEDULE)."""
    deployment: RunnerDeployment = weekly_report.to_deployment(  # type: ignore[assignment]
        name="weekly-report",
        cron=settings.weekly_report_schedule,
        description="Business report of the last 7 complete days (ECOM_WEEKLY_REPORT_SCHEDULE).",
    )
    return deployment
