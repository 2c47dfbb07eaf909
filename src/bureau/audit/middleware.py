from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from bureau.audit.context import Origin, reset_origin, set_origin


class RequestContextMiddleware:
    """Give each request an id and remember its origin for audit events."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_origin(
            Origin(
                # Behind a proxy, configure it to set REMOTE_ADDR; X-Forwarded-For is forgeable.
                ip=request.META.get("REMOTE_ADDR") or None,
                # No NUL: PostgreSQL stores none, and an event that cannot be written fails
                # the request (audit fails closed).
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300].replace("\x00", "\ufffd"),
                request_id=request_id,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            reset_origin(token)
        response["X-Request-ID"] = request_id
        return response
