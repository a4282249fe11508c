"""The console's number formats and chart drawing, without a browser."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console import format as fmt
from console.charts import LineChart, Series, nice_ticks, render


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (5, "5 s"), (125, "2 min"), (3600, "1 h"), (3 * 3600 + 300, "3 h 5 min"),
     (2 * 86400, "2 d"), (2 * 86400 + 4 * 3600 + 59, "2 d 4 h")],
)  # fmt: skip
def test_age(seconds: int | None, text: str) -> None:
    assert fmt.age(seconds) == text


def test_money_count_percent_and_change() -> None:
    assert fmt.money("1234.5", "USD") == "1,234.50 USD"
    assert fmt.money(None) == "—"
    assert fmt.count("1576") == "1,576"
    assert fmt.percent("0.8525") == "85.2%"  # half to even, as Decimal rounds
    assert fmt.change("110", "100") == ("+10.0%", "up")
    assert fmt.change("90", "100") == ("-10.0%", "down")
    assert fmt.change("5", "0") == ("—", "flat")
    assert fmt.decimal_of("not a number") is None


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(0, 100, [0, 25, 50, 75, 100]), (0, 73_000, [0, 20_000, 40_000, 60_000, 80_000]),
     (0, 0, [0, 0.25, 0.5, 0.75, 1])],
)  # fmt: skip
def test_nice_ticks_cover_the_range_in_round_steps(
    low: float, high: float, expected: list[float]
) -> None:
    assert nice_ticks(low, high) == expected


def test_chart_text_is_escaped_and_missing_points_are_skipped() -> None:
    chart = LineChart(
        chart_id="c",
        title="Revenue <script>alert(1)</script>",
        x_label="Day",
        y_label="Amount (USD)",
        x_values=["2026-11-01", "2026-11-02", "2026-11-03"],
        series=[Series('web" onload="x', [Decimal(1), None, Decimal(3)])],
    )

    svg = str(render(chart))

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert 'onload="x' not in svg
    assert svg.count("<circle") == 2
    assert "2026-11-02 no data" in svg  # the description for screen readers
