"""A stored ISO 8601 instant (as JSON documents keep them) read as people read time."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def moment(value: object) -> str:
    """`2026-12-07T12:22:29.418955+00:00` → `2026-12-07 12:22 UTC` in the site's zone; anything
    that is not such an instant is shown as it is."""
    if not isinstance(value, str):
        return "" if value is None else str(value)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_naive(when):
        return value
    local = timezone.localtime(when)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
