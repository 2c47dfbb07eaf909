"""A practice's own compliance records, read-only: its client BAA with us and the incidents
that affected it (issue 15: the client viewer sees what concerns its practice, nothing else —
never a subcontractor BAA, never another practice's record).

Open to whoever reads some practice's compliance records (`compliance.access.can_read_any`:
a client viewer, a practice-level `compliance.view`, the whole-program readers); a practice the
actor may not read them of is a 404 like a missing one."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from bureau.compliance import baa_queries
from bureau.compliance.access import practices_seen, sees_whole_program
from bureau.compliance.program_queries import practice_incidents
from bureau.tenancy.models import Practice
from bureau.web.access import actor_of


@require_safe
def my_practice_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    seen = practices_seen(actor)
    if not seen:
        raise Http404
    practices: list[Practice] = sorted(
        (actor.access[pid].practice for pid in seen), key=lambda p: p.name.lower()
    )
    asked = request.GET.get("practice")
    context: Practice | None = getattr(request, "practice_context", None)
    if asked and asked != "all":  # the select's first option: no practice chosen
        practice = actor.practice_by_public_id(asked)
        if practice is None or practice.pk not in seen:
            raise Http404
    elif context is not None and context.pk in seen:
        practice = context
    else:
        practice = practices[0]
    today = timezone.localdate()
    baas = baa_queries.client_baas_seen(actor, practice.pk)
    return render(
        request,
        "compliance/my_practice.html",
        {
            "practice": practice,
            "practices": practices,
            "baas": [baa_queries.inventory_row(b, today) for b in baas],
            "incidents": practice_incidents(actor, practice.pk),
            "whole_program": sees_whole_program(actor),
            "today": today,
        },
    )
