"""Trust and logistics: each subject's badge and the criteria that award it, the headline
trust metrics, the trust score trend, the latest breached days, SLA breaches with their
penalties, and stock alerts; a subject's page shows the daily numbers behind its score.

Sources (as the signed-in user): GET /api/transparency/badges, GET /api/trust/metrics,
GET /api/transparency/trust/scores and GET /api/transparency/logistics/snapshots."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from console import format as fmt
from console.api import Api, ApiError
from console.charts import LineChart, Series
from console.charts import render as render_chart
from console.pages import CallerDep, render
from console.screens import Screen
from shared.identity import Role

router = APIRouter()
SCREEN = Screen(path="/trust", label="Trust and logistics", order=60, role=Role.VIEWER)
SCORES = "/api/transparency/trust/scores"
BADGES = "/api/transparency/badges"
SNAPSHOTS = "/api/transparency/logistics/snapshots"
METRICS = "/api/trust/metrics"
TREND_DAYS = 14
RECENT_BREACHES = 25
SUBJECT_DAYS = 30
BADGE_PAGE = 500  # the API's largest page: every subject of the generated business fits
SUBJECT_TYPES = ("distributor", "stockist", "carrier")
TRUSTED_FROM = 90  # drawn on the chart; the criteria table states every threshold


def subject_path(subject_type: str, subject_id: str) -> str:
    """The console page of one subject."""
    return f"/trust/subjects/{quote(subject_type, safe='')}/{quote(subject_id, safe='')}"


def mean_score_by_day(rows: list[dict[str, Any]]) -> dict[tuple[str, str], Decimal]:
    """(subject_type, score_date) -> the mean trust score of its rated subjects that day."""
    scores: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for row in rows:
        score = fmt.decimal_of(row.get("trust_score"))
        if score is not None:
            scores[(row["subject_type"], row["score_date"])].append(score)
    return {key: sum(values, Decimal(0)) / len(values) for key, values in scores.items()}


def trust_chart(rows: list[dict[str, Any]], last: date) -> LineChart:
    """The mean trust score per subject type and day, over the TREND_DAYS to `last`."""
    labels = [(last - timedelta(days=back)).isoformat() for back in range(TREND_DAYS - 1, -1, -1)]
    means = mean_score_by_day(rows)
    present = [kind for kind in SUBJECT_TYPES if any(key[0] == kind for key in means)]
    return LineChart(
        chart_id="trust-trend",
        title=f"Mean trust score per subject type, last {TREND_DAYS} days",
        x_label="Score date (UTC)",
        y_label="Trust score (0 to 100)",
        x_values=labels,
        series=[Series(f"{kind}s", [means.get((kind, day)) for day in labels]) for kind in present],
        y_format=lambda value: f"{value:.0f}",
        y_min=0,
        y_max=100,
        target=(TRUSTED_FROM, f"trusted from {TRUSTED_FROM}"),
        x_tick_format=lambda day: day[5:],
    )


def metric_value(value: Any, unit: str) -> str:
    """A trust metric's value (or target) in its unit: ratios as percentages, amounts in the
    currency the unit names (penalties_accrued's unit is the base currency)."""
    number = fmt.decimal_of(value)
    if number is None:
        return "—"
    if unit == "ratio":
        return fmt.percent(number)
    if unit in {"days", "minutes"}:
        return f"{number:,.1f} {unit}"
    if unit == "count":
        return fmt.count(number)
    if len(unit) == 3 and unit.isalpha() and unit.isupper():  # a currency code: money
        return fmt.money(number, unit)
    return f"{number}"


def penalties_by_currency(rows: list[dict[str, Any]]) -> list[tuple[str, Decimal]]:
    """Total penalties in the base currency (rows without an FX rate are left out)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        amount = fmt.decimal_of(row.get("penalty_amount_base"))
        if amount is not None:
            totals[row["base_currency"]] += amount
    return sorted(totals.items())


async def _overview(api: Api, subject_type: str, badge: str) -> dict[str, Any]:
    metrics = await api.get(METRICS)
    badges, breaches, snapshots, alerts = await asyncio.gather(
        api.get(BADGES, limit=BADGE_PAGE, subject_type=subject_type, badge=badge),
        api.get(SCORES, breached="true", limit=RECENT_BREACHES, sort="-score_date,-trust_score"),
        api.get_all(SNAPSHOTS, sort="-penalty_amount_base,subject_type,subject_id"),
        api.get_all(SNAPSHOTS, with_alerts="true", sort="-stock_alerts,subject_type,subject_id"),
    )
    breached = [row for row in snapshots if int(row["breaches_30d"]) > 0]
    data: dict[str, Any] = {
        "metrics": metrics,
        "badges": badges,
        "breaches": breaches,
        "sla_breaches": breached,
        "penalty_totals": penalties_by_currency(breached),
        "alerts": alerts,
        "chart": None,
    }
    if metrics.get("as_of_date"):
        last = date.fromisoformat(metrics["as_of_date"])
        first = last - timedelta(days=TREND_DAYS - 1)
        span = {"from": first.isoformat(), "to": last.isoformat()}
        chart = trust_chart(await api.get_all(SCORES, **span), last)
        data["chart"] = (chart, render_chart(chart))
    return data


@router.get("/trust")
async def trust(
    request: Request, caller: CallerDep, subject_type: str = "", badge: str = ""
) -> Response:
    """Badges with their criteria, metrics, the trend, breaches, penalties and stock alerts."""
    context: dict[str, Any] = {
        "fmt": fmt,
        "metric_value": metric_value,
        "subject_path": subject_path,
        "subject_types": SUBJECT_TYPES,
        "chosen": {"subject_type": subject_type, "badge": badge},
    }
    try:
        context.update(await _overview(caller.api, subject_type, badge))
    except ApiError as error:
        if error.status != 422:  # a refused filter: its message, and the page unfiltered
            raise
        context.update(await _overview(caller.api, "", ""))
        context["filter_error"] = error.message
        context["chosen"] = {"subject_type": "", "badge": ""}
        return render(request, "trust/index.html", context, status=422)
    return render(request, "trust/index.html", context)


@router.get("/trust/subjects/{subject_type}/{subject_id}")
async def subject(
    request: Request, caller: CallerDep, subject_type: str, subject_id: str
) -> Response:
    """One subject's days, newest first: the deliveries, support and breaches behind its score."""
    api = caller.api
    days, badges = await asyncio.gather(
        api.get(SCORES, subject_type=subject_type, subject_id=subject_id, limit=SUBJECT_DAYS),
        api.get(BADGES, subject_type=subject_type, limit=BADGE_PAGE),
    )
    current = next((row for row in badges["data"] if row["subject_id"] == subject_id), None)
    if current is None:
        message = f"No trust scores for {subject_type} '{subject_id}'."
        context = {"status": 404, "title": "Not Found", "message": message}
        return render(request, "error.html", context, status=404)
    snapshot = None
    if subject_type != "carrier":
        rows = await api.get_all(SNAPSHOTS, subject_type=subject_type, q=subject_id)
        snapshot = next((row for row in rows if row["subject_id"] == subject_id), None)
    context = {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "current": current,
        "criteria": badges["criteria"],
        "days": days,
        "snapshot": snapshot,
        "fmt": fmt,
    }
    return render(request, "trust/subject.html", context)
