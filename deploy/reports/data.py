"""Everything the report shows, read through the services' own query functions — the ones
behind the API routes — so that a number in the report is the number the API gives.

The report connects as the pipeline's role (ecom_flows), which reads every mart and the
`ops.api_*` views the admin service reads the pipeline through.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from deploy.reports.period import ReportPeriod
from services.admin.entities.pipeline import (
    CONTRACTS,
    QUARANTINE,
    REJECTS,
    RUNS,
    MartFreshnessPublic,
    QuarantinedFilePublic,
    RunPublic,
)
from services.admin.entities.revenue import (
    RevenueSlice,
    daily_revenue_rows,
    kpi_summary,
)
from services.admin.models import KpiSummaryPublic
from services.admin.routes.pipeline import mart_freshness_statement
from services.loyalty.entities.bundles import (
    DEFAULT_TOP,
    BundlesPublic,
    bundle_products,
    bundle_segments,
    bundles_page,
)
from services.loyalty.entities.segments import SegmentsPublic, segment_statistics, segments_page
from services.transparency.entities.badges import (
    DEFAULT_BADGE_SORT,
    BadgeFilters,
    SubjectBadgePublic,
    badges_statement,
)
from services.transparency.entities.logistics import RESOURCE as LOGISTICS
from services.transparency.entities.logistics import LogisticsSnapshotPublic
from services.transparency.entities.metrics import TrustMetricPublic, metrics_statement

SLA_ROWS = 12  # the SLA table lists the subjects with the largest penalties


@dataclass(frozen=True)
class ChannelDay:
    """Net revenue and orders of one channel on one day (summed over regions)."""

    day: date
    channel: str
    orders: int
    net_revenue: Decimal


@dataclass(frozen=True)
class RejectCount:
    """Rows of one entity that one rule rejected."""

    entity: str
    rule: str
    rows: int


@dataclass(frozen=True)
class ContractOutcome:
    """A data-contract check that warned or failed in the window."""

    mart: str
    check_name: str
    status: str
    failing_rows: int


@dataclass
class ReportData:
    """The report's numbers; the data-quality part covers `quality_from` up to `generated_at`
    (the runs that load a period's last days happen after it ends)."""

    period: ReportPeriod
    generated_at: datetime
    current: KpiSummaryPublic
    previous: KpiSummaryPublic
    revenue_by_channel: list[ChannelDay]
    segments: SegmentsPublic
    bundles: BundlesPublic
    badges: list[SubjectBadgePublic]
    trust_metrics: list[TrustMetricPublic]
    sla: list[LogisticsSnapshotPublic]
    sla_subjects_breached: int
    penalties_total: Decimal
    runs: list[RunPublic]
    rejects: list[RejectCount]
    quarantined: list[QuarantinedFilePublic]
    contract_status: Counter[str]
    contract_failures: list[ContractOutcome]
    freshness: list[MartFreshnessPublic]
    previous_segments: dict[str, int] | None = None
    previous_report: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def currency(self) -> str:
        """The base currency of the revenue numbers."""
        return self.current.currency or self.previous.currency or ""

    @property
    def badge_counts(self) -> Counter[str]:
        """Subjects per current badge."""
        return Counter(badge.badge for badge in self.badges)


async def _revenue_by_channel(session: AsyncSession, period: ReportPeriod) -> list[ChannelDay]:
    rows = (
        (
            await session.execute(
                daily_revenue_rows(RevenueSlice(period.first, period.last, None, None))
            )
        )
        .mappings()
        .all()
    )
    orders: dict[tuple[date, str], int] = defaultdict(int)
    revenue: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        key = (row["order_date"], row["channel"])
        orders[key] += row["orders"]
        revenue[key] += row["net_revenue"]
    return [
        ChannelDay(day, channel, orders[day, channel], revenue[day, channel])
        for day, channel in sorted(orders)
    ]


async def _pipeline_quality(session: AsyncSession, since: datetime) -> dict[str, Any]:
    runs = (
        (await session.execute(RUNS.query({"started_at_from": since}, None, "-started_at")))
        .mappings()
        .all()
    )
    rejected = await session.execute(
        REJECTS.query({"rejected_at_from": since}, None, "-reject_id", columns=("entity", "rule"))
    )
    per_rule = Counter((row.entity, row.rule) for row in rejected)
    quarantined = (
        (
            await session.execute(
                QUARANTINE.query({"quarantined_at_from": since}, None, "-quarantine_id")
            )
        )
        .mappings()
        .all()
    )
    checks = (
        (
            await session.execute(
                CONTRACTS.query(
                    {"checked_at_from": since},
                    None,
                    "-result_id",
                    columns=("mart", "check_name", "status", "failing_rows"),
                )
            )
        )
        .mappings()
        .all()
    )
    failures: dict[tuple[str, str, str], int] = {}
    for check in checks:
        if check["status"] != "pass":
            key = (check["mart"], check["check_name"], check["status"])
            failures[key] = max(failures.get(key, 0), check["failing_rows"])
    freshness = (await session.execute(mart_freshness_statement())).mappings().all()
    return {
        "runs": [RunPublic.model_validate(dict(row)) for row in runs],
        "rejects": [
            RejectCount(entity, rule, rows)
            for (entity, rule), rows in sorted(
                per_rule.items(), key=lambda item: (-item[1], item[0])
            )
        ],
        "quarantined": [QuarantinedFilePublic.model_validate(dict(row)) for row in quarantined],
        "contract_status": Counter(check["status"] for check in checks),
        "contract_failures": [
            ContractOutcome(mart, name, status, rows)
            for (mart, name, status), rows in sorted(failures.items())
        ],
        "freshness": [MartFreshnessPublic.model_validate(dict(row)) for row in freshness],
    }


async def gather(session: AsyncSession, period: ReportPeriod, generated_at: datetime) -> ReportData:
    """Read every number of the report for `period` in one read-only session."""
    previous = period.previous()
    current_kpis = await kpi_summary(session, RevenueSlice(period.first, period.last, None, None))
    previous_kpis = await kpi_summary(
        session, RevenueSlice(previous.first, previous.last, None, None)
    )
    segment_rows = (await session.execute(segment_statistics())).mappings().all()
    bundle_rows = (await session.execute(bundle_segments(None))).mappings().all()
    product_rows = (await session.execute(bundle_products(None, DEFAULT_TOP))).mappings().all()
    badge_rows = (
        (await session.execute(badges_statement(BadgeFilters(), DEFAULT_BADGE_SORT)))
        .mappings()
        .all()
    )
    metric_rows = (await session.execute(metrics_statement())).mappings().all()
    sla_rows = (
        (await session.execute(LOGISTICS.query({}, None, "-penalty_amount_base,-breaches_30d")))
        .mappings()
        .all()
    )
    sla = [LogisticsSnapshotPublic.model_validate(dict(row)) for row in sla_rows]
    breached = [row for row in sla if row.breaches_30d > 0]
    quality = await _pipeline_quality(session, period.starts_at)
    return ReportData(
        period=period,
        generated_at=generated_at,
        current=current_kpis,
        previous=previous_kpis,
        revenue_by_channel=await _revenue_by_channel(session, period),
        segments=segments_page(list(segment_rows)),
        bundles=bundles_page(list(bundle_rows), list(product_rows), DEFAULT_TOP),
        badges=[SubjectBadgePublic.model_validate(dict(row)) for row in badge_rows],
        trust_metrics=[TrustMetricPublic.model_validate(dict(row)) for row in metric_rows],
        sla=breached[:SLA_ROWS],
        sla_subjects_breached=len(breached),
        penalties_total=sum(
            (row.penalty_amount_base or Decimal(0) for row in breached), Decimal(0)
        ),
        **quality,
    )
