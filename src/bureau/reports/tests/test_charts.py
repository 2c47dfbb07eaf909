"""The SVG chart geometry and its markup: CSP-safe (no script, no style attribute)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.template.loader import render_to_string

from bureau.reports.charts import PLOT_WIDTH, stacked_bars

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
