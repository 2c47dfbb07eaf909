"""How a deadline reads, the same on every page: "3 days left", "due today", "overdue by 1 day"."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def time_left(days: int | None) -> str:
    """`days` from today to the deadline (negative once it has passed)."""
    if days is None:
        return ""
    if days == 0:
        return "due today"
    if days > 0:
        return f"{days} day{'s' if days != 1 else ''} left"
    late = -days
    return f"overdue by {late} day{'s' if late != 1 else ''}"
