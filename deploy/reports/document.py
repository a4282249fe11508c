"""A small document model — headings, paragraphs, tables and charts — with two renderings:
Markdown (the report's text source) and a paged A4 PDF drawn by matplotlib (Agg backend)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display: render to files only

from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.table import Table as MplTable
from matplotlib.transforms import Bbox

PAGE_W, PAGE_H = 8.27, 11.69  # A4, inches
MARGIN = 0.6
ROW_H = 0.22  # a table row, inches
LINE_H = 0.19  # a paragraph line, inches
WRAP = 100  # characters per paragraph line


@dataclass(frozen=True)
class Heading:
    """A section (level 1: the title, 2: a section, 3: a subsection)."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """Plain text, wrapped."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table with a header row; `numeric` columns align right."""

    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    numeric: frozenset[int] = frozenset()
    widths: Sequence[float] | None = None  # relative column widths


@dataclass(frozen=True)
class Chart:
    """A plot: `draw` fills one Axes; `name` becomes charts/<name>.png next to the Markdown."""

    name: str
    draw: Callable[[Axes], None]
    height: float = 3.0  # inches on the page


Block = Heading | Paragraph | Table | Chart


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: Sequence[Block]) -> str:
    """The document as Markdown; charts link charts/<name>.png."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {block.text}\n")
        elif isinstance(block, Paragraph):
            out.append(f"{block.text}\n")
        elif isinstance(block, Table):
            align = ["---:" if i in block.numeric else "---" for i in range(len(block.columns))]
            out.append("| " + " | ".join(_cell(c) for c in block.columns) + " |")
            out.append("| " + " | ".join(align) + " |")
            out.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows)
            out.append("")
        else:
            out.append(f"![{block.name}](charts/{block.name}.png)\n")
    return "\n".join(out)


def chart_png(chart: Chart, dpi: int = 110) -> bytes:
    """The chart alone as a PNG."""
    figure = Figure(figsize=(PAGE_W - 2 * MARGIN, chart.height))
    axes = figure.add_subplot()
    chart.draw(axes)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _height(block: Block) -> float:
    if isinstance(block, Heading):
        return {1: 0.55, 2: 0.42}.get(block.level, 0.32)
    if isinstance(block, Paragraph):
        return LINE_H * len(textwrap.wrap(block.text, WRAP)) + 0.1
    if isinstance(block, Table):
        return ROW_H * (max(len(block.rows), 1) + 1) + 0.15
    return block.height + 0.15


def _draw_table(
    axes: Axes,
    columns: Sequence[str],
    rows: list[list[str]],
    numeric: frozenset[int],
    widths: Sequence[float] | None,
) -> None:
    """A ruled table filling `axes`: a shaded bold header, numbers aligned right."""
    table = MplTable(axes, bbox=Bbox.from_bounds(0, 0, 1, 1))
    shares = list(widths) if widths else [1 / len(columns)] * len(columns)
    height = 1 / (len(rows) + 1)
    for row, values in enumerate([list(columns), *rows]):
        for column, text in enumerate(values):
            cell = table.add_cell(
                row, column, shares[column], height, text=text,
                loc="right" if column in numeric else "left",
                facecolor="#e8eef5" if row == 0 else "white", edgecolor="#cccccc",
            )  # fmt: skip
            cell.set_linewidth(0.4)
            if row == 0:
                cell.get_text().set_fontweight("bold")
    table.auto_set_font_size(False)
    table.set_fontsize(7.5)
    axes.add_table(table)


class _Pager:
    """Lays blocks top to bottom on A4 pages, starting a page when the next one won't fit."""

    def __init__(self, pdf: PdfPages, footer: str) -> None:
        self.pdf = pdf
        self.footer = footer
        self.figure: Figure | None = None
        self.y = 0.0  # inches from the top of the page
        self.pages = 0

    def _new_page(self) -> Figure:
        self.finish()
        self.figure = Figure(figsize=(PAGE_W, PAGE_H))
        self.pages += 1
        self.figure.text(
            0.5, 0.3 / PAGE_H, f"{self.footer} — page {self.pages}", ha="center", fontsize=7,
            color="#666666",
        )  # fmt: skip
        self.y = MARGIN
        return self.figure

    def finish(self) -> None:
        if self.figure is not None:
            self.pdf.savefig(self.figure)  # type: ignore[no-untyped-call]
            self.figure = None

    def place(self, block: Block) -> None:
        height = _height(block)
        keep_with_next = isinstance(block, Heading)
        room = PAGE_H - MARGIN - 0.3
        if self.figure is None or self.y + height + (1.0 if keep_with_next else 0) > room:
            self._new_page()
        assert self.figure is not None
        figure = self.figure
        top = 1 - self.y / PAGE_H
        left = MARGIN / PAGE_W
        width = (PAGE_W - 2 * MARGIN) / PAGE_W
        if isinstance(block, Heading):
            size = {1: 18, 2: 13}.get(block.level, 11)
            figure.text(left, top, block.text, va="top", fontsize=size, weight="bold")
            if block.level <= 2:
                line_y = top - (height - 0.08) / PAGE_H
                figure.add_artist(
                    matplotlib.lines.Line2D(
                        [left, left + width], [line_y, line_y], lw=0.6, color="#999999"
                    )
                )
        elif isinstance(block, Paragraph):
            wrapped = "\n".join(textwrap.wrap(block.text, WRAP))
            figure.text(left, top, wrapped, va="top", fontsize=8.5, linespacing=1.5)
        elif isinstance(block, Table):
            axes = figure.add_axes(
                (left, top - (height - 0.15) / PAGE_H, width, (height - 0.15) / PAGE_H)
            )
            axes.axis("off")
            # One line per cell: data may carry newlines (the generator's faults do).
            rows = [[" ".join(cell.split()) for cell in row] for row in block.rows] or [
                ["none", *([""] * (len(block.columns) - 1))]
            ]
            _draw_table(axes, block.columns, rows, block.numeric, block.widths)
        else:
            # Room above the plot for its title, below for tick labels, left for the y label.
            bottom = top - (block.height - 0.55) / PAGE_H
            plot_h = (block.height - 0.9) / PAGE_H
            axes = figure.add_axes((left + 0.09, bottom, width - 0.1, plot_h))
            block.draw(axes)
        self.y += height


def to_pdf(blocks: Sequence[Block], footer: str, metadata: dict[str, str]) -> bytes:
    """The document as a PDF: A4 pages, blocks in order, a footer with page numbers."""
    buffer = io.BytesIO()
    # TrueType fonts (not Type 3): the PDF's text can be searched, copied and extracted.
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(buffer, metadata=metadata) as pdf:
        pager = _Pager(pdf, footer)
        for block in blocks:
            pager.place(block)
        pager.finish()
    return buffer.getvalue()
