"""The report's content: ReportData laid out as headings, tables and charts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from deploy.reports.data import ReportData
from deploy.reports.document import Block, Chart, Heading, Paragraph, Table
from services.loyalty.entities.segments import SEGMENT_ORDER

BADGE_ORDER = ("trusted", "reliable", "watch", "at_risk", "unrated")
BADGE_COLOURS = ("#2e7d32", "#66bb6a", "#f9a825", "#c62828", "#9e9e9e")


def money(value: Decimal | None, currency: str = "") -> str:
    """1234.5 -> '1,234.50 USD' (an em dash for no value)."""
    if value is None:
        return "—"
    return f"{value:,.2f}{' ' + currency if currency else ''}"


def change(value: Decimal | int | None, previous: Decimal | int | None) -> str:
    """The relative change, e.g. '+12.5 %'; n/a without a previous value."""
    if value is None or previous is None or previous == 0:
        return "n/a"
    ratio = (Decimal(value) - Decimal(previous)) / Decimal(previous) * 100
    return f"{ratio:+.1f} %"


def number(value: Decimal | None) -> str:
    """At most four decimals, no trailing zeros, thousands separated."""
    if value is None:
        return "—"
    exact = value.quantize(Decimal("0.0001")).normalize()
    return f"{exact:,f}"


def percent(value: Decimal | None) -> str:
    """A 0..1 ratio as a percentage."""
    return "—" if value is None else f"{value * 100:.1f} %"


def headline_rows(data: ReportData) -> list[tuple[str, str, str, str]]:
    """KPI, this period, previous period, change: the report's headline table (and the flow's
    artifact)."""
    now, before, currency = data.current, data.previous, data.currency

    def rate(part: int, whole: int) -> Decimal | None:
        return Decimal(part) / Decimal(whole) if whole else None

    return [
        ("Net revenue", money(now.net_revenue, currency), money(before.net_revenue, currency),
         change(now.net_revenue, before.net_revenue)),
        ("Orders", f"{now.orders:,}", f"{before.orders:,}", change(now.orders, before.orders)),
        ("Average order value", money(now.average_order_value, currency),
         money(before.average_order_value, currency),
         change(now.average_order_value, before.average_order_value)),
        ("Units", f"{now.units:,}", f"{before.units:,}", change(now.units, before.units)),
        ("Cancelled orders", f"{now.cancelled_orders:,}", f"{before.cancelled_orders:,}",
         change(now.cancelled_orders, before.cancelled_orders)),
        ("Cancellation rate", percent(rate(now.cancelled_orders, now.orders)),
         percent(rate(before.cancelled_orders, before.orders)), ""),
        ("Returned orders", f"{now.returned_orders:,}", f"{before.returned_orders:,}",
         change(now.returned_orders, before.returned_orders)),
        ("Days with sales", str(now.days), str(before.days), ""),
    ]  # fmt: skip


def _thousands(currency: str) -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: f"{value:,.0f}")


def _daily_chart(data: ReportData) -> Chart:
    days = [
        data.period.first.fromordinal(data.period.first.toordinal() + i)
        for i in range(data.period.days)
    ]
    by_channel: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for row in data.revenue_by_channel:
        by_channel[row.channel][row.day] = row.net_revenue

    def draw(axes: Axes) -> None:
        positions = list(range(len(days)))
        bottom = [0.0] * len(days)
        for channel in sorted(by_channel):
            heights = [float(by_channel[channel].get(day, 0)) for day in days]
            axes.bar(positions, heights, bottom=bottom, label=channel, width=0.7)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        axes.set_title("Net revenue per day, stacked by channel", fontsize=10)
        axes.set_ylabel(f"net revenue ({data.currency})", fontsize=8)
        axes.set_xticks(positions, [day.strftime("%a %d %b") for day in days], fontsize=7)
        if len(days) > 10:
            axes.tick_params(axis="x", labelrotation=45)
        axes.tick_params(axis="y", labelsize=7)
        axes.yaxis.set_major_formatter(_thousands(data.currency))
        axes.grid(axis="y", alpha=0.3)
        if by_channel:
            axes.legend(fontsize=7, loc="upper left", ncols=min(4, len(by_channel)))
        else:
            axes.text(0.5, 0.5, "no orders in this period", ha="center", transform=axes.transAxes)

    return Chart("revenue_by_day", draw, height=3.2)


def _channel_chart(data: ReportData) -> Chart:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in data.revenue_by_channel:
        totals[row.channel] += row.net_revenue
    channels = sorted(totals, key=lambda name: totals[name])

    def draw(axes: Axes) -> None:
        values = [float(totals[name]) for name in channels]
        axes.barh(channels, values, color="#1f77b4")
        for y, value in enumerate(values):
            axes.text(value, y, f" {value:,.0f}", va="center", fontsize=7)
        axes.set_title("Net revenue per channel over the period", fontsize=10)
        axes.set_xlabel(f"net revenue ({data.currency})", fontsize=8)
        axes.xaxis.set_major_formatter(_thousands(data.currency))
        axes.tick_params(labelsize=7)
        axes.margins(x=0.15)

    return Chart("revenue_by_channel", draw, height=2.4)


def _segment_chart(data: ReportData) -> Chart:
    names = list(SEGMENT_ORDER)
    now = {segment.segment: segment.customers for segment in data.segments.data}

    def draw(axes: Axes) -> None:
        positions = list(range(len(names)))
        if data.previous_segments is not None:
            before = [data.previous_segments.get(name, 0) for name in names]
            axes.bar(
                [p - 0.2 for p in positions],
                before,
                width=0.4,
                label="previous report",
                color="#b0bec5",
            )
            axes.bar(
                [p + 0.2 for p in positions],
                [now.get(n, 0) for n in names],
                width=0.4,
                label="now",
                color="#1f77b4",
            )
            axes.legend(fontsize=7)
        else:
            axes.bar(positions, [now.get(n, 0) for n in names], width=0.6, color="#1f77b4")
        axes.set_title("Customers per RFM segment", fontsize=10)
        axes.set_ylabel("customers", fontsize=8)
        axes.set_xticks(
            positions, [name.replace("_", " ") for name in names], fontsize=7, rotation=20
        )
        axes.tick_params(axis="y", labelsize=7)
        axes.grid(axis="y", alpha=0.3)

    return Chart("segments", draw, height=2.8)


def _badge_chart(data: ReportData) -> Chart:
    counts = data.badge_counts

    def draw(axes: Axes) -> None:
        values = [counts.get(badge, 0) for badge in BADGE_ORDER]
        axes.bar([b.replace("_", " ") for b in BADGE_ORDER], values, color=BADGE_COLOURS)
        for x, value in enumerate(values):
            axes.text(x, value, str(value), ha="center", va="bottom", fontsize=7)
        axes.set_title("Distributors and stockists per current trust badge", fontsize=10)
        axes.set_ylabel("subjects", fontsize=8)
        axes.tick_params(labelsize=7)
        axes.margins(y=0.15)

    return Chart("trust_badges", draw, height=2.4)


def _overview(data: ReportData) -> list[Block]:
    return [
        Heading(f"Business report {data.period.describe()}", 1),
        Paragraph(
            f"Generated {data.generated_at:%Y-%m-%d %H:%M} UTC from the marts. Compared with the"
            f" previous {data.period.days} days ({data.period.previous().describe()}). Revenue is"
            f" net of cancellations and returns, in {data.currency or 'the base currency'}."
        ),
        Heading("Headline KPIs"),
        Table(
            ("KPI", "This period", "Previous period", "Change"),
            headline_rows(data),
            numeric=frozenset({1, 2, 3}),
            widths=(0.34, 0.24, 0.24, 0.18),
        ),
        Heading("Revenue by day and channel"),
        _daily_chart(data),
        _channel_chart(data),
    ]


def _segments(data: ReportData) -> list[Block]:
    before = data.previous_segments
    movement = (
        f"Movement is against the previous report ({data.previous_report})."
        if before is not None
        else "No earlier report in the lake: movement shows from the next report on."
    )
    rows = []
    for segment in data.segments.data:
        delta = (
            "—" if before is None else f"{segment.customers - before.get(segment.segment, 0):+d}"
        )
        rows.append((
            segment.segment.replace("_", " "), f"{segment.customers:,}", percent(segment.share),
            delta, money(segment.average_monetary), number(segment.average_frequency),
        ))  # fmt: skip
    return [
        Heading("Customer segments"),
        Paragraph(
            f"RFM segments of {data.segments.customers:,} customers as of"
            f" {data.segments.as_of_date or 'no build yet'}. {movement}"
        ),
        Table(
            (
                "Segment",
                "Customers",
                "Share",
                "Movement",
                f"Avg monetary ({data.segments.currency or ''})",
                "Avg orders",
            ),
            rows,
            numeric=frozenset({1, 2, 3, 4, 5}),
            widths=(0.22, 0.13, 0.12, 0.13, 0.24, 0.16),
        ),
        _segment_chart(data),
    ]


def _recommendations(data: ReportData) -> list[Block]:
    rows = []
    for bundle in data.bundles.data:
        for product in bundle.products[:3]:
            rows.append((
                bundle.segment.replace("_", " "), f"{bundle.discount_percent} %",
                str(product.position), f"{product.product_name[:40]} ({product.product_id})",
                f"{product.customers:,}", percent(product.share),
            ))  # fmt: skip
    return [
        Heading("Top recommendations and bundles"),
        Paragraph(
            "Per segment, its offer and the add-ons recommended to most of its customers (the"
            " first three of each bundle; loyalty mart as of"
            f" {data.bundles.as_of_date or 'no build yet'})."
        ),
        Table(
            ("Segment", "Offer", "#", "Product", "Customers", "Share"),
            rows,
            numeric=frozenset({1, 2, 4, 5}),
            widths=(0.17, 0.09, 0.05, 0.43, 0.13, 0.13),
        ),
    ]


def _trust(data: ReportData) -> list[Block]:
    metrics = [
        (
            metric.metric.replace("_", " "),
            number(metric.value),
            metric.unit,
            number(metric.target),
            {True: "yes", False: "NO", None: "—"}[metric.meets_target],
        )
        for metric in data.trust_metrics
    ]
    sla = [
        (
            f"{row.subject_type} {row.subject_id}", (row.name or "")[:30], str(row.breaches_30d),
            str(row.late_days_30d), money(row.penalty_amount, row.currency or ""),
            money(row.penalty_amount_base, row.base_currency),
        )
        for row in data.sla
    ]  # fmt: skip
    return [
        Heading("Trust badges and SLA breaches"),
        _badge_chart(data),
        Heading("Trust metrics", 3),
        Table(
            ("Metric", "Value", "Unit", "Target", "Meets"),
            metrics,
            numeric=frozenset({1, 3}),
            widths=(0.42, 0.15, 0.15, 0.15, 0.13),
        ),
        Heading("SLA breaches with penalties (30 days to the SLA mart's data date)", 3),
        Paragraph(
            f"{data.sla_subjects_breached} distributor(s) and stockist(s) breached their SLA;"
            f" penalties total {money(data.penalties_total, data.currency)} in the base currency."
            f" The {len(data.sla)} largest:"
        ),
        Table(
            ("Subject", "Name", "Breaches", "Late days", "Penalty", "Penalty (base)"),
            sla,
            numeric=frozenset({2, 3, 4, 5}),
            widths=(0.17, 0.27, 0.1, 0.1, 0.18, 0.18),
        ),
    ]


def _quality(data: ReportData) -> list[Block]:
    by_status: dict[str, int] = defaultdict(int)
    for run in data.runs:
        by_status[run.status] += 1
    runs = [(status, str(count)) for status, count in sorted(by_status.items())] or [("none", "0")]
    rows_read = sum(run.rows_read for run in data.runs)
    rejected = sum(run.rows_rejected for run in data.runs)
    contracts = ", ".join(
        f"{count} {status}" for status, count in sorted(data.contract_status.items())
    )
    return [
        Heading("Data quality"),
        Paragraph(
            f"Pipeline activity from {data.period.first} until this report ({len(data.runs)} runs,"
            f" {rows_read:,} rows read, {rejected:,} rejected)."
            f" Contract checks: {contracts or 'none'}."
        ),
        Heading("Runs by outcome", 3),
        Table(("Status", "Runs"), runs, numeric=frozenset({1}), widths=(0.7, 0.3)),
        Heading("Rejected rows by rule", 3),
        Table(
            ("Entity", "Rule", "Rows"),
            [(r.entity, r.rule, f"{r.rows:,}") for r in data.rejects[:15]],
            numeric=frozenset({2}),
            widths=(0.3, 0.5, 0.2),
        ),
        Heading("Quarantined files", 3),
        Table(
            ("#", "Entity", "Stage", "Reason", "Status"),
            [
                (str(q.quarantine_id), q.entity, q.stage, q.reason[:60], q.status)
                for q in data.quarantined[:12]
            ],
            widths=(0.06, 0.14, 0.1, 0.55, 0.15),
        ),
        Heading("Contract checks that warned or failed", 3),
        Table(
            ("Mart", "Check", "Status", "Failing rows"),
            [
                (c.mart, c.check_name, c.status, f"{c.failing_rows:,}")
                for c in data.contract_failures[:15]
            ],
            numeric=frozenset({3}),
            widths=(0.3, 0.4, 0.12, 0.18),
        ),
        Heading("Mart freshness", 3),
        Table(
            ("Mart", "Built (UTC)", "Age", "Rows", "Contract"),
            [
                (
                    m.mart,
                    f"{m.built_at:%Y-%m-%d %H:%M}",
                    _age(m.age_seconds),
                    f"{m.rows:,}",
                    m.contract_status,
                )
                for m in data.freshness
            ],
            numeric=frozenset({2, 3}),
            widths=(0.34, 0.24, 0.14, 0.14, 0.14),
        ),
    ]


def _age(seconds: int) -> str:
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def report_blocks(data: ReportData) -> list[Block]:
    """The whole report, in reading order."""
    return [
        *_overview(data),
        *_segments(data),
        *_recommendations(data),
        *_trust(data),
        *_quality(data),
    ]
