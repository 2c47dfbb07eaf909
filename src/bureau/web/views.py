"""The shell: home page and the one-click practice switcher."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.reports.book import book_glance
from bureau.reports.catalogue import shortcuts_for
from bureau.reports.client_dashboard import client_glance
from bureau.tenancy.actor import Actor
from bureau.tenancy.context import ALL, switch_practice
from bureau.tenancy.roles import Capability, Role
from bureau.web.access import actor_of, chosen_practice, local_next, public
from bureau.web.links import shell_urls
from bureau.web.selectors import PAID_WINDOW_DAYS, practice_summaries, summary_totals
from bureau.workqueues.functions import CAPABILITY
from bureau.workqueues.selectors import WorkSummary, work_summary


@require_safe
def home_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    summaries = practice_summaries(actor=actor)
    works = any(actor.can(c) for c in set(CAPABILITY.values()))
    work = _linked(work_summary(actor=actor)) if works else None
    book = client = None
    if actor.can(Capability.REPORTS_VIEW):
        today = timezone.localdate()
        if is_client(actor):
            # A client's home is her practice's dashboard: the one asked for (?practice=, a
            # practice she may not report on is a 404; the bar follows it), else the one the
            # bar names, else her first.
            practice = (
                chosen_practice(request, actor, Capability.REPORTS_VIEW)
                or actor.practices(Capability.REPORTS_VIEW)[0]
            )
            client = client_glance(actor=actor, practice=practice, today=today, urls=_report_urls())
        else:
            # The bar names one practice: the book shows it alone (the bar never names a
            # practice other than the page shows); all practices: the whole book.
            context = getattr(request, "practice_context", None)
            if context is not None and not actor.can(Capability.REPORTS_VIEW, context):
                context = None
            book = book_glance(actor=actor, today=today, urls=_report_urls(), practice=context)
    return render(
        request,
        "web/home.html",
        {
            "book": book,
            "client": client,
            "client_practices": actor.practices(Capability.REPORTS_VIEW) if client else [],
            "work": work,
            "summaries": summaries,
            "totals": summary_totals(summaries) if len(summaries) > 1 else None,
            "paid_window": PAID_WINDOW_DAYS,
            "perms_reports": actor.can(Capability.REPORTS_VIEW),
            "report_shortcuts": shortcuts_for(actor),
        },
    )


def is_client(actor: Actor) -> bool:
    """Every grant the actor holds is a client viewer's: the practice's own people, who read
    their practice's dashboard rather than the billing company's book."""
    roles = {role for access in actor.access.values() for role in access.roles}
    return roles == {Role.CLIENT_VIEWER}


def _report_urls() -> dict[str, str]:
    return {
        "aging": reverse("reports:aging"),
        "kpis": reverse("reports:kpis"),
        "definitions": reverse("reports:definitions"),
        "monthly": reverse("reports:monthly_list"),
        "audit": reverse("audit:log"),
        "queue": reverse("workqueues:queue"),
    }


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
