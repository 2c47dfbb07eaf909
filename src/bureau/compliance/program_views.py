"""The compliance dashboard: what is overdue or expiring across the program, for
`compliance.view` on the whole workspace. Each block links to its part's own list page (by
path: the parts' pages are built apart and may land in any order)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from bureau.compliance.access import can_manage, sees_whole_program
from bureau.compliance.program_queries import dashboard
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, requires

# The parts' list pages, by path (see the module's docstring).
PART_PAGES = {
    "incidents": "/compliance/incidents/",
    "screening": "/compliance/screening/",
    "training": "/compliance/training/",
    "policies": "/compliance/policies/",
    "reviews": "/compliance/access-reviews/",
}


@require_safe
@requires(Capability.COMPLIANCE_VIEW)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not sees_whole_program(actor):
        raise Http404
    board = dashboard(actor, timezone.localdate())
    return render(
        request,
        "compliance/dashboard.html",
        {"board": board, "pages": PART_PAGES, "can_manage": can_manage(actor)},
    )
