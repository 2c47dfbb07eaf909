"""`/reports/`: every report a person may open, grouped, each with what it answers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from bureau.reports.catalogue import catalogue_for
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, requires


@require_safe
@requires(Capability.REPORTS_VIEW)
def reports_index_view(request: HttpRequest) -> HttpResponse:
    # Names of reports only: no figure, no patient, nothing to audit.
    groups = catalogue_for(actor_of(request))
    return render(request, "reports/index.html", {"groups": groups})
