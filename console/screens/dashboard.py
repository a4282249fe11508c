"""Dashboard: the business's headline numbers as tiles and SVG charts.

Sources (all as the signed-in user): GET /api/admin/kpis/dashboard (revenue, orders, average
order value, pipeline health), GET /api/trust/metrics (on-time rate), GET
/api/admin/kpis/daily-revenue (revenue per day and channel) and GET
/api/transparency/trust/scores (carriers' daily on-time rate and trust score); the latest
business report from GET /api/admin/reports/latest (console/screens/reports.py)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from console import format as fmt
from console.api import Api, ApiError
from console.charts import LineChart, Series
from console.charts import render as render_chart
from console.pages import CallerDep, render
from console.screens import Screen
from console.screens.reports import latest_report
from shared.identity import Role

router = APIRouter()
SCREEN = Screen(path="/", label="Dashboard", order=10)
TREND_DAYS = 14
CHART_SOURCES = {
    "revenue-by-channel": "GET /api/admin/kpis/daily-revenue",
    "on-time-trend": "GET /api/transparency/trust/scores?subject_type=carrier",
}
TRUST_SUBJECT = "carrier"  # every shipment has a carrier: their days cover all deliveries


@dataclass(frozen=True)
class Tile:
    """One number of the dashboard, with a line that puts it in context."""

    key: str  # data-testid of the tile
    label: str
    value: str
    detail: str = ""
    change: str = ""
    direction: str = "flat"  # up, down or flat


async def _quietly(call: Any) -> tuple[Any, ApiError | None]:
    """The result of an API call, or its error (a 401 still ends the page: sign in again)."""
    try:
        return await call, None
    except ApiError as error:
        if error.status == 401:
            raise
        return None, error


def _trust_by_day(rows: list[dict[str, Any]]) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    """Per score_date: the on-time rate over all carriers' due shipments and their mean trust
    score (only rated carriers count in the mean)."""
    due: dict[str, int] = defaultdict(int)
    on_time: dict[str, int] = defaultdict(int)
    scores: dict[str, list[Decimal]] = defaultdict(list)
    for row in rows:
        day = row["score_date"]
        due[day] += int(row["shipments_due"])
        on_time[day] += int(row["delivered_on_time"])
        score = fmt.decimal_of(row.get("trust_score"))
        if score is not None:
            scores[day].append(score)
    days = sorted(set(due) | set(scores))
    return {
        day: (
            Decimal(on_time[day]) / Decimal(due[day]) if due[day] else None,
            sum(scores[day], Decimal(0)) / len(scores[day]) if scores[day] else None,
        )
        for day in days
    }


def _day_labels(last: date, days: int) -> list[str]:
    return [(last - timedelta(days=offset)).isoformat() for offset in range(days - 1, -1, -1)]


def _revenue_chart(rows: list[dict[str, Any]], labels: list[str], currency: str) -> LineChart:
    by_channel: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        by_channel[row["channel"]][row["order_date"]] += Decimal(row["net_revenue"])
    series = [
        Series(channel, [by_channel[channel].get(day, Decimal(0)) for day in labels])
        for channel in sorted(by_channel)
    ]
    return LineChart(
        chart_id="revenue-by-channel",
        title=f"Daily net revenue by channel, last {len(labels)} days",
        x_label="Order date (UTC)",
        y_label=f"Net revenue ({currency})",
        x_values=labels,
        series=series,
        x_tick_format=lambda day: day[5:],
    )


def _on_time_chart(
    trust: dict[str, tuple[Decimal | None, Decimal | None]], labels: list[str], target: Any
) -> LineChart:
    rates: list[Decimal | None] = []
    for day in labels:
        rate = trust.get(day, (None, None))[0]
        rates.append(rate * 100 if rate is not None else None)
    goal = fmt.decimal_of(target)
    return LineChart(
        chart_id="on-time-trend",
        title=f"On-time delivery rate per promised day, last {len(labels)} days",
        x_label="Promised delivery date (UTC)",
        y_label="Delivered on time (%)",
        x_values=labels,
        series=[Series("On-time rate (all carriers)", rates)],
        y_format=lambda value: f"{value:.0f}%",
        y_min=0,
        y_max=100,
        target=(float(goal * 100), f"target {goal * 100:.0f}%") if goal is not None else None,
        x_tick_format=lambda day: day[5:],
    )


def _tiles(
    board: dict[str, Any],
    metrics: dict[str, dict[str, Any]],
    trust: dict[str, tuple[Decimal | None, Decimal | None]],
) -> list[Tile]:
    currency = board.get("currency") or ""
    day = board.get("day") or "—"
    revenue, orders, aov = board["revenue_7d"], board["orders_7d"], board["average_order_value_7d"]
    tiles = [
        Tile("net-revenue-today", f"Net revenue on {day}", fmt.money(board["revenue_today"],
             currency), detail=f"{fmt.count(board['orders_today'])} orders that day"),
        Tile("net-revenue-7d", "Net revenue, 7 days", fmt.money(revenue["value"], currency),
             detail=f"previous 7 days: {fmt.money(revenue['previous'], currency)}",
             change=fmt.change(revenue["value"], revenue["previous"])[0],
             direction=fmt.change(revenue["value"], revenue["previous"])[1]),
        Tile("orders-7d", "Orders, 7 days", fmt.count(orders["value"]),
             detail=f"previous 7 days: {fmt.count(orders['previous'])}",
             change=fmt.change(orders["value"], orders["previous"])[0],
             direction=fmt.change(orders["value"], orders["previous"])[1]),
        Tile("aov-7d", "Average order value, 7 days", fmt.money(aov["value"], currency),
             detail=f"previous 7 days: {fmt.money(aov['previous'], currency)}",
             change=fmt.change(aov["value"], aov["previous"])[0],
             direction=fmt.change(aov["value"], aov["previous"])[1]),
    ]  # fmt: skip
    on_time = metrics.get("on_time_delivery_rate")
    if on_time is not None:
        verdict = {True: "meets", False: "below"}.get(on_time["meets_target"], "no")
        tiles.append(
            Tile("on-time-rate", f"On-time delivery, {on_time['time_window']}",
                 fmt.percent(on_time["value"]),
                 detail=f"target {fmt.percent(on_time['target'], 0)} ({verdict} target)",
                 direction="up" if on_time["meets_target"] else "down")
        )  # fmt: skip
    rated = [(day, score) for day, (_, score) in trust.items() if score is not None]
    if rated:
        latest_day, score = max(rated)
        trusted = metrics.get("trusted_share")
        share = f"; trusted subjects: {fmt.percent(trusted['value'])}" if trusted else ""
        tiles.append(
            Tile("trust-score", "Trust score (carriers, 0 to 100)", f"{score:.1f}",
                 detail=f"mean on {latest_day}{share}")
        )  # fmt: skip
    health = board["pipeline"]
    status = health.get("last_run_status") or "no run yet"
    tiles.append(
        Tile("pipeline-freshness", "Pipeline freshness",
             fmt.age(health.get("stalest_mart_age_seconds")),
             detail=f"stalest: {health.get('stalest_mart') or '—'}; last run {status}; "
             f"{health['open_rejects']} open rejects, "
             f"{health['quarantined_files']} quarantined files",
             direction="down" if status not in {"succeeded", "no run yet"} else "flat")
    )  # fmt: skip
    return tiles


async def _data(api: Api) -> dict[str, Any]:
    board = await api.get("/api/admin/kpis/dashboard")
    last = date.fromisoformat(board["day"]) if board.get("day") else None
    if last is None:
        metrics, metrics_error = await _quietly(api.get("/api/trust/metrics"))
        return {"board": board, "metrics": metrics, "metrics_error": metrics_error}
    first = last - timedelta(days=TREND_DAYS - 1)
    span = {"from": first.isoformat(), "to": last.isoformat()}
    (
        (metrics, metrics_error),
        (revenue, revenue_error),
        (scores, trust_error),
    ) = await asyncio.gather(
        _quietly(api.get("/api/trust/metrics")),
        _quietly(api.get_all("/api/admin/kpis/daily-revenue", **span)),
        _quietly(api.get_all("/api/transparency/trust/scores", subject_type=TRUST_SUBJECT, **span)),
    )
    return {
        "board": board, "last": last, "metrics": metrics, "metrics_error": metrics_error,
        "revenue": revenue, "revenue_error": revenue_error,
        "scores": scores, "trust_error": trust_error,
    }  # fmt: skip


@router.get("/")
async def dashboard(request: Request, caller: CallerDep) -> Response:
    """Tiles and charts from the API, as the signed-in user sees them."""
    data = await _data(caller.api)
    board = data["board"]
    metrics = {m["metric"]: m for m in (data["metrics"] or {}).get("data", [])}
    trust = _trust_by_day(data.get("scores") or [])
    charts = []
    errors = [e.message for e in (data.get(k) for k in ("metrics_error", "revenue_error",
              "trust_error")) if e is not None]  # fmt: skip
    if data.get("last") is not None:
        labels = _day_labels(data["last"], TREND_DAYS)
        if data.get("revenue") is not None:
            charts.append(_revenue_chart(data["revenue"], labels, board.get("currency") or ""))
        if data.get("scores") is not None:
            target = metrics.get("on_time_delivery_rate", {}).get("target")
            charts.append(_on_time_chart(trust, labels, target))
    context = {
        "board": board,
        "tiles": _tiles(board, metrics, trust),
        "charts": [(chart, render_chart(chart)) for chart in charts],
        "section_errors": errors,
        "admin": caller.principal.has_at_least(Role.ADMIN),
        "chart_sources": CHART_SOURCES,
        "latest_report": await latest_report(caller.api),
    }
    return render(request, "dashboard/index.html", context)
