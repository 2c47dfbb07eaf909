"""Session rules: idle logoff, and no page past login until the second factor is verified."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from bureau.audit.models import AuditAction

LAST_SEEN_KEY = "bureau_last_seen"
# The last-seen time is stored at most this often: storing it on every request made every page a
# session write (on SQLite, a turn at the single write lock). The logoff can come up to this much
# early, never late.
LAST_SEEN_EVERY_SECONDS = 60

# Views that work before login or before the second factor (set by the `public`/`pre_mfa`
# decorators in `bureau.web.access`).
PUBLIC_ATTR = "bureau_public"
PRE_MFA_ATTR = "bureau_pre_mfa"


class IdleLogoffMiddleware:
    """Log out a session idle for BUREAU_IDLE_MINUTES (HIPAA 164.312(a)(2)(iii))."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - last_seen > settings.BUREAU_IDLE_MINUTES * 60:
                from bureau.accounts.services import session_end

                session_end(request, action=AuditAction.IDLE_LOGOUT)
                return redirect(f"{reverse('accounts:login')}?{urlencode({'idle': 1})}")
            if last_seen is None or now - last_seen >= LAST_SEEN_EVERY_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class VerifiedLoginRequiredMiddleware:
    """Every view needs a signed-in, TOTP-verified user unless it is marked otherwise.

    Fails closed: a new view is protected until someone decides it should not be.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], *args: object
    ) -> HttpResponse | None:
        if getattr(view_func, PUBLIC_ATTR, False):
            return None
        if request.path.startswith(settings.STATIC_URL):
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?{urlencode({'next': _next(request)})}")
        if getattr(view_func, PRE_MFA_ATTR, False):
            return None
        if not user.is_verified():  # type: ignore[union-attr,attr-defined,unused-ignore]
            from django_otp import user_has_device

            target = "accounts:mfa_verify" if user_has_device(user) else "accounts:mfa_enroll"
            return redirect(f"{reverse(target)}?{urlencode({'next': _next(request)})}")
        return None


def _next(request: HttpRequest) -> str:
    path = request.get_full_path()
    return path if url_has_allowed_host_and_scheme(path, allowed_hosts=None) else "/"
