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


# -- a KPI month by month --------------------------------------------------------------------------
TREND_BAR = 34
TREND_GAP = 10
TREND_PLOT = 90  # the plot's height; labels below, the value above each bar
TREND_TOP = 16
MET = "#2f6f9f"
MISSED = "#b5332b"
NO_TARGET = "#6fa8c8"


@dataclass(frozen=True)
class TrendBar:
    label: str  # the month, e.g. "Mar"
    value: Decimal | None  # None: nothing to measure that month (no bar, a dash)
    shown: str
    x: int
    y: int
    height: int
    fill: str

    @property
    def mid(self) -> int:
        return self.x + TREND_BAR // 2


@dataclass(frozen=True)
class Trend:
    """One vertical bar per month on a common scale, a dashed line at the target when there
    is one; a bar that misses the target is drawn hot."""

    title: str
    bars: list[TrendBar]
    width: int
    height: int
    target_y: int | None
    target_label: str
    base_y: int = TREND_TOP + TREND_PLOT

    @property
    def empty(self) -> bool:
        return all(b.value is None for b in self.bars)


def trend(
    title: str,
    points: Sequence[tuple[str, Decimal | None]],
    *,
    target: Decimal | None = None,
    higher_is_better: bool = True,
    suffix: str = "",
    target_label: str = "",
) -> Trend:
    values = [v for _, v in points if v is not None]
    peak = max([*values, target or Decimal(0)], default=Decimal(0)) or Decimal(1)

    def height(value: Decimal) -> int:
        return max(1, round(TREND_PLOT * max(value, Decimal(0)) / peak)) if value > 0 else 0

    bars = []
    for n, (label, value) in enumerate(points):
        h = height(value) if value is not None else 0
        if target is None or value is None:
            fill = NO_TARGET
        else:
            met = value >= target if higher_is_better else value <= target
            fill = MET if met else MISSED
        shown = "–" if value is None else f"{value:,.1f}{suffix}"
        bars.append(
            TrendBar(
                label,
                value,
                shown,
                n * (TREND_BAR + TREND_GAP),
                TREND_TOP + TREND_PLOT - h,
                h,
                fill,
            )
        )
    target_y = TREND_TOP + TREND_PLOT - height(target) if target is not None else None
    width = max(1, len(points)) * (TREND_BAR + TREND_GAP)
    return Trend(title, bars, width, TREND_TOP + TREND_PLOT + 16, target_y, target_label)
