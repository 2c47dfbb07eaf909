from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.context import PracticeMismatch, current_practice


class ActorMiddleware:
    """Resolve the actor once per request: `request.actor` (None when signed out, not yet
    TOTP-verified, or without a workspace) and `request.practice_context` (a Practice, or None
    for *All practices*)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # No actor before the second factor: the pages between password and TOTP show no
        # practice names, no switcher, nothing of the workspace.
        verified = user.is_authenticated and getattr(user, "is_verified", lambda: False)()
        actor = resolve_actor(user) if verified else None  # type: ignore[arg-type]
        request.actor = actor  # type: ignore[attr-defined]
        request.practice_context = (  # type: ignore[attr-defined]
            current_practice(actor, request.session) if actor else None
        )
        response = self.get_response(request)
        if getattr(request, "practice_moved", False) and getattr(request, "htmx", False):
            # A partial cannot redraw the bar: load the whole page, which shows the new context
            # and the notice saying why it changed.
            response["HX-Redirect"] = request.get_full_path()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A write refused for its practice: the view's transaction has rolled back already;
        say why and go back to a page that shows the record under the right bar."""
        if not isinstance(exception, PracticeMismatch):
            return None
        messages.error(request, exception.message)
        return redirect(exception.back)
