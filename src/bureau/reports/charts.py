"""Server-side SVG charts for reports: geometry computed here, drawn by a template.

The CSP allows no inline script or style, and Bureau fetches nothing from a CDN, so a chart is
plain SVG: rectangles and text whose coordinates and fill colours are attributes (presentation
attributes, not `style`), the same markup on the page and in a PDF. `reports/_stacked_bars.html`
draws a `StackedBars`; `{% stacked_bars chart %}` (reports_charts) includes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

# Young money cool, old money hot: the eye finds what is aging without reading a legend.
PALETTE = ("#2f6f9f", "#6fa8c8", "#e0b040", "#d9792b", "#b5332b")
ROW_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 190
PLOT_WIDTH = 520
VALUE_WIDTH = 90
LEGEND_HEIGHT = 22


@dataclass(frozen=True)
class Segment:
    series: str
    value: Decimal
    x: int
    width: int
    fill: str


@dataclass(frozen=True)
class Bar:
    label: str
    total: Decimal
    y: int
    segments: list[Segment]

    @property
    def text_y(self) -> int:
        return self.y + ROW_HEIGHT - 5


@dataclass(frozen=True)
class LegendItem:
    label: str
    x: int
    fill: str


@dataclass(frozen=True)
class StackedBars:
    title: str
    bars: list[Bar]
    legend: list[LegendItem]
    width: int
    height: int
    plot_x: int = LABEL_WIDTH
    value_x: int = LABEL_WIDTH + PLOT_WIDTH + 6
    row_height: int = ROW_HEIGHT

    @property
    def empty(self) -> bool:
        return not any(b.total for b in self.bars)


def stacked_bars(
    title: str, series: Sequence[str], rows: Sequence[tuple[str, Sequence[Decimal]]]
) -> StackedBars:
    """One horizontal bar per row, split into `series` (one value each), on a common scale.
    Negative values (a credit balance) draw nothing: a bar shows what is owed."""
    totals = [sum((v for v in values if v > 0), Decimal(0)) for _, values in rows]
    peak = max(totals, default=Decimal(0)) or Decimal(1)
    bars = []
    for n, ((label, values), total) in enumerate(zip(rows, totals, strict=True)):
        y = LEGEND_HEIGHT + n * (ROW_HEIGHT + GAP)
        x = LABEL_WIDTH
        segments = []
        for i, value in enumerate(values):
            if value <= 0:
                continue
            width = max(1, round(PLOT_WIDTH * value / peak))
            segments.append(Segment(series[i], value, x, width, PALETTE[i % len(PALETTE)]))
            x += width
        bars.append(Bar(label[:32], total, y, segments))
    legend = [
        LegendItem(name, LABEL_WIDTH + i * 90, PALETTE[i % len(PALETTE)])
        for i, name in enumerate(series)
    ]
    height = LEGEND_HEIGHT + len(rows) * (ROW_HEIGHT + GAP)
    return StackedBars(title, bars, legend, LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH, height)
