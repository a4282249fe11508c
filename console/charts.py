"""Line charts as inline SVG, drawn on the server: a title, labelled axes with units, ticks,
a legend, and a text description for screen readers. No script, no style attribute (the
console's CSP allows neither inline): presentation attributes only."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 78, 16, 40, 72
# Distinguishable for common colour blindness (Okabe-Ito), each also with its own dash.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4")
INK = "#1b1f24"
GRID = "#c9d1d9"


@dataclass(frozen=True)
class Series:
    """One line: its name (in the legend) and a value per x label (None: no point)."""

    name: str
    values: Sequence[Decimal | float | None]


@dataclass(frozen=True)
class LineChart:
    """What a chart shows; `render` draws it."""

    chart_id: str
    title: str
    x_label: str
    y_label: str  # names the unit, e.g. "Net revenue (USD)"
    x_values: Sequence[str]
    series: Sequence[Series]
    y_format: Callable[[float], str] = lambda value: f"{value:,.0f}"
    y_min: float | None = None  # fixed bounds, e.g. 0..100 for a percentage
    y_max: float | None = None
    target: tuple[float, str] | None = None  # a dashed horizontal line and its label
    x_tick_format: Callable[[str], str] = field(default=lambda label: label)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering low..high (1, 2, 2.5 or 5 times a power of ten apart)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _text(x: float, y: float, content: str, **attributes: str) -> str:
    extra = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{value}"' for name, value in attributes.items()
    )
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(content)}</text>'


def render(chart: LineChart) -> Markup:
    """The chart as an `<svg>` element, safe to put in a template as is."""
    values = [float(v) for s in chart.series for v in s.values if v is not None]
    low = chart.y_min if chart.y_min is not None else min([0.0, *values])
    high = chart.y_max if chart.y_max is not None else max([*values, 1.0])
    if chart.target is not None and chart.y_max is None:
        high = max(high, chart.target[0])
    ticks = nice_ticks(low, high)
    low, high = min(low, ticks[0]), max(high, ticks[-1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(1, len(chart.x_values))

    def x_at(index: int) -> float:
        return LEFT + (plot_w * (index + 0.5) / count)

    def y_at(value: float) -> float:
        return TOP + plot_h - (value - low) / (high - low) * plot_h

    title_id, desc_id = f"{chart.chart_id}-title", f"{chart.chart_id}-desc"
    described = "; ".join(
        f"{s.name}: "
        + ", ".join(
            f"{x} {chart.y_format(float(v)) if v is not None else 'no data'}"
            for x, v in zip(chart.x_values, s.values, strict=True)
        )
        for s in chart.series
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" id="{chart.chart_id}" '
        f'font-family="system-ui, sans-serif" font-size="12" fill="{INK}">',
        f'<title id="{title_id}">{escape(chart.title)}</title>',
        f'<desc id="{desc_id}">{escape(chart.x_label)} against {escape(chart.y_label)}. '
        f"{escape(described)}</desc>",
        _text(WIDTH / 2, 20, chart.title, text_anchor="middle", font_size="15",
              font_weight="600", class_="chart-title"),
    ]  # fmt: skip
    # Grid and y axis ticks.
    for tick in ticks:
        y = y_at(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        parts.append(_text(LEFT - 6, y + 4, chart.y_format(tick), text_anchor="end"))
    # Axes.
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" stroke="{INK}" '
        f'class="y-axis"/>'
    )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        f'stroke="{INK}" class="x-axis"/>'
    )
    # X ticks: every label when they fit, else every other.
    every = 1 if count <= 8 else 2
    for index, label in enumerate(chart.x_values):
        if index % every == 0 or index == count - 1:
            x = x_at(index)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 4}" '
                f'stroke="{INK}"/>'
            )
            parts.append(
                _text(x, TOP + plot_h + 16, chart.x_tick_format(label), text_anchor="middle")
            )
    parts.append(
        _text(LEFT + plot_w / 2, HEIGHT - 34, chart.x_label, text_anchor="middle",
              font_weight="600", class_="x-label")
    )  # fmt: skip
    y_mid = TOP + plot_h / 2
    parts.append(
        _text(16, y_mid, chart.y_label, text_anchor="middle", font_weight="600",
              transform=f"rotate(-90 16 {y_mid:.1f})", class_="y-label")
    )  # fmt: skip
    if chart.target is not None:
        value, label = chart.target
        y = y_at(value)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{INK}" '
            f'stroke-dasharray="2 4" class="target"/>'
        )
        parts.append(_text(WIDTH - RIGHT - 4, y - 4, label, text_anchor="end"))
    # The lines, each with a marker per point.
    for number, series in enumerate(chart.series):
        colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
        points = [(x_at(i), y_at(float(v))) for i, v in enumerate(series.values) if v is not None]
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"'
                f'{dash_attribute} class="series" data-series="{escape(series.name)}"/>'
            )
        parts.extend(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>' for x, y in points
        )
    # Legend, in one row under the x label.
    legend_x = LEFT
    for number, series in enumerate(chart.series):
        colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
        y = HEIGHT - 12
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{legend_x}" x2="{legend_x + 22}" y1="{y - 4}" y2="{y - 4}" '
            f'stroke="{colour}" stroke-width="2"{dash_attribute}/>'
        )
        parts.append(_text(legend_x + 26, y, series.name, class_="legend"))
        legend_x += 34 + 7 * len(series.name) + 12
    parts.append("</svg>")
    # Every text and attribute value from data above went through html.escape.
    return Markup("".join(parts))  # noqa: S704  # nosec B704
