"""The shell: home page and the one-click practice switcher."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.tenancy.context import ALL, switch_practice
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, local_next, public
from bureau.web.links import shell_urls
from bureau.web.selectors import PAID_WINDOW_DAYS, practice_summaries, summary_totals
from bureau.workqueues.functions import CAPABILITY
from bureau.workqueues.selectors import WorkSummary, work_summary


def home_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    summaries = practice_summaries(actor=actor)
    works = any(actor.can(c) for c in set(CAPABILITY.values()))
    work = _linked(work_summary(actor=actor)) if works else None
    return render(
        request,
        "web/home.html",
        {
            "work": work,
            "summaries": summaries,
            "totals": summary_totals(summaries) if len(summaries) > 1 else None,
            "paid_window": PAID_WINDOW_DAYS,
            "perms_reports": actor.can(Capability.REPORTS_VIEW),
            "perms_audit": actor.can(Capability.AUDIT_VIEW),
            "perms_questions": actor.can(Capability.QUESTIONS_VIEW),
        },
    )


def _linked(work: WorkSummary) -> WorkSummary:
    """Each row's links into the queue (its function; its function in its practice), made
    here once rather than spelled out by the template in every cell."""
    queue = shell_urls()["queue"]
    for row in work.rows:
        practice = row["practice"]
        row["function_link"] = f"{queue}?function={row['function']}"
        row["link"] = f"{row['function_link']}&practice={practice.public_id if practice else ''}"
    return work


@require_POST
def switch_practice_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    try:
        practice = switch_practice(actor, request.session, request.POST.get("practice", ALL))
    except LookupError as exc:
        raise Http404 from exc
    with transaction.atomic():
        audit_record(action=AuditAction.CONTEXT_SWITCHED, actor=actor, practice=practice)
    messages.info(request, f"Now working in {practice.name if practice else 'All practices'}.")
    return redirect(local_next(request, request.POST.get("next")))


@public
def healthz_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
