"""`{% stacked_bars chart %}`: a report chart (reports.charts) as inline SVG, page and PDF alike."""

from __future__ import annotations

from typing import Any

from django import template

from bureau.reports.charts import StackedBars, Trend

register = template.Library()


@register.inclusion_tag("reports/_stacked_bars.html")
def stacked_bars(chart: StackedBars) -> dict[str, Any]:
    return {"chart": chart}


@register.filter
def cents(value: Any) -> str:
    """Money in a report cell: thousands grouped, two places, minus sign kept; blank for zero,
    so the eye lands on the buckets that hold something."""
    if not value:
        return "–"
    return f"{value:,.2f}"


@register.inclusion_tag("reports/_trend.html")
def trend_chart(chart: Trend) -> dict[str, Any]:
    return {"chart": chart}
