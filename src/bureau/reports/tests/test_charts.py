"""The SVG chart geometry and its markup: CSP-safe (no script, no style attribute)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.template.loader import render_to_string

from bureau.reports.charts import (
    MET,
    MISSED,
    PLOT_WIDTH,
    TREND_PLOT,
    TREND_TOP,
    stacked_bars,
    trend,
)

D = Decimal


def test_segments_share_one_scale_and_skip_credits():
    chart = stacked_bars(
        "A/R", ("young", "old"), [("A", [D("100"), D("300")]), ("B", [D("200"), D("-50")])]
    )
    a, b = chart.bars
    assert [s.width for s in a.segments] == [PLOT_WIDTH // 4, PLOT_WIDTH * 3 // 4]
    assert [s.width for s in b.segments] == [PLOT_WIDTH // 2]  # the credit draws nothing
    assert a.segments[1].x == a.segments[0].x + a.segments[0].width
    assert not chart.empty and stacked_bars("A/R", ("x",), [("A", [D(0)])]).empty


def test_the_markup_is_plain_svg():
    chart = stacked_bars("A/R <by practice>", ("0–30",), [("<b>Bay</b>", [D("12.5")])])
    html = render_to_string("reports/_stacked_bars.html", {"chart": chart})
    assert "<svg" in html and "<script" not in html and not re.search(r"\sstyle=", html)
    assert "&lt;b&gt;Bay&lt;/b&gt;" in html and "<b>" not in html  # names are escaped
    assert "12.50" in html


def test_a_trend_draws_each_month_on_one_scale_hot_when_it_misses_the_target() -> None:
    chart = trend(
        "Initial denial rate",
        [("Jan", Decimal("4")), ("Feb", Decimal("8")), ("Mar", None)],
        target=Decimal("5"),
        higher_is_better=False,
        suffix=" %",
    )
    jan, feb, mar = chart.bars
    base = TREND_TOP + TREND_PLOT
    # The peak (8) fills the plot; 4 is half of it; the target 5 sits at 5/8 of it.
    assert (feb.height, jan.height) == (TREND_PLOT, TREND_PLOT // 2)
    assert feb.y == TREND_TOP and jan.y == base - TREND_PLOT // 2
    assert chart.target_y == base - round(TREND_PLOT * 5 / 8)
    assert (jan.fill, feb.fill) == (MET, MISSED)  # lower is better: 4 meets ≤ 5, 8 misses
    assert (mar.height, mar.shown) == (0, "–") and not chart.empty
    assert jan.shown == "4.0 %" and jan.x < feb.x < mar.x
    assert trend("empty", [("Jan", None)]).empty
    html = render_to_string("reports/_trend.html", {"chart": chart})
    assert "<svg" in html and "style=" not in html and "<script" not in html
    assert "stroke-dasharray" in html  # the target line


def test_a_kpi_figure_carries_its_unit_and_a_dash_for_nothing_to_measure() -> None:
    from django.template import engines

    page = engines["django"].from_string(
        "{% load reports_charts %}"
        "[{% kpi_value a 'percent' %}][{% kpi_value b 'days' %}][{% kpi_value c 'dollars' %}]"
        "[{% kpi_value d 'count' %}][{% kpi_value e 'percent' %}][{% kpi_value f unit %}]"
    )
    from bureau.reports.kpis.registry import Unit

    shown = page.render(
        {
            "a": Decimal("12.50"),
            "b": Decimal("31.2"),
            "c": Decimal("40.00"),
            "d": 7,
            "e": None,
            "f": Decimal("3.1"),
            "unit": Unit.DAYS,  # the registry's unit, as the dashboard passes it
        }
    )
    dash = (
        '<span class="muted" title="Nothing to measure in this period: the denominator is 0">'
        "—</span>"
    )
    assert shown == f"[12.50 %][31.2 days][$40.00][7][{dash}][3.1 days]"
