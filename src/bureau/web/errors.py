"""Error pages that never carry PHI: static text, no context from the failed request."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refused to read (too many fields, a body too large, a bad host): the
    page says so plainly and never repeats what was sent."""
    return HttpResponse(render_to_string("web/400.html"), status=400)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse(render_to_string("web/404.html"), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return HttpResponse(render_to_string("web/500.html"), status=500)
