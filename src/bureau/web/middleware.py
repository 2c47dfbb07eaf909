"""Responses to a signed-in user are kept out of every cache.

Every page a signed-in user sees may show PHI (a patient's name on a claim, a practice's
figures), and so may a page reached with the browser's back button after signing out, or one a
proxy kept. Files already say `no-store` (`web.access.attachment_response`); this says it of
every other response to a signed-in user, pages and htmx partials alike. Static files are
served by WhiteNoise before this runs, with their long cache lifetimes untouched.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

NO_STORE = "private, no-store"


class PrivateNoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        if settings.STATIC_URL and request.path.startswith(str(settings.STATIC_URL)):
            return response
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = NO_STORE
        return response
