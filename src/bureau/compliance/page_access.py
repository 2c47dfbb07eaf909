"""Who opens the compliance program's pages (the rule itself: `compliance.access`).

`requires_program_reader`: a page of the program that also serves a practice's own records
(its client BAA, the incidents that affected it) opens for the whole program's readers and for
a practice's reader: `compliance.view` through a practice grant, or the practice's client viewer,
whose role carries no `compliance.view` (`access.practices_seen`). Anyone else gets the 404 of a
page that does not exist. The view's mark is `compliance.view`: the authorization matrix
classifies such a page as access "compliance" and works the client viewer out from the grants.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from bureau.compliance.access import can_read_any
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.access import CAPABILITY_ATTR

View = TypeVar("View", bound=Callable[..., HttpResponse])


def requires_program_reader(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actor: Actor | None = getattr(request, "actor", None)
        if actor is None or not can_read_any(actor):
            raise Http404
        return view(request, *args, **kwargs)

    setattr(wrapper, CAPABILITY_ATTR, Capability.COMPLIANCE_VIEW)
    return wrapper  # type: ignore[return-value]


# A page with a form answers GET and HEAD (the form) and POST (its submission); any other
# method is a 405 naming those, before the page reads anything.
require_form_methods = require_http_methods(["GET", "HEAD", "POST"])
