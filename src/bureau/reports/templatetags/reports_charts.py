"""`{% stacked_bars chart %}`: a report chart (reports.charts) as inline SVG, page and PDF alike."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from bureau.reports.charts import StackedBars, Trend

register = template.Library()


@register.inclusion_tag("reports/_stacked_bars.html")
def stacked_bars(chart: StackedBars) -> dict[str, Any]:
    return {"chart": chart}


NOTHING_TO_MEASURE = mark_safe(  # noqa: S308 (a constant of ours)
    '<span class="muted" title="Nothing to measure in this period: the denominator is 0">—</span>'
)
UNIT_AFFIXES = {"percent": ("", " %"), "days": ("", " days"), "dollars": ("$", "")}


@register.simple_tag
def kpi_value(value: Any, unit: str) -> SafeString:
    """A KPI figure with its unit ("12.5 %", "31.2 days", "$40.00"), or a dash where the
    denominator is 0. A tag, not an included template: the owner's home shows some fifty, and
    an include costs a context push and a template render each."""
    if value is None:
        return NOTHING_TO_MEASURE
    prefix, suffix = UNIT_AFFIXES.get(str(unit), ("", ""))
    return format_html("{}{}{}", prefix, localize(value), suffix)


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
