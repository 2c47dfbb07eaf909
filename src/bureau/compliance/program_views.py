"""The compliance dashboard: what is overdue or expiring across the program, for
`compliance.view` on the whole workspace. Each block links to its part's own list page, each
row to its record's page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from bureau.compliance.access import can_manage, sees_whole_program
from bureau.compliance.program_queries import dashboard
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, requires

# The parts' list pages.
PART_ROUTES = {
    "incidents": "compliance:incident_list",
    "screening": "compliance:screening",
    "training": "compliance:training",
    "policies": "compliance:policy_list",
    "reviews": "compliance:review_list",
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
        {
            "board": board,
            "pages": {part: reverse(route) for part, route in PART_ROUTES.items()},
            "can_manage": can_manage(actor),
        },
    )
