"""The shell: home page and the one-click practice switcher."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.compliance.access import can_manage as manages_compliance
from bureau.compliance.access_review_selectors import reviews_to_do
from bureau.compliance.policy_queries import pending_count
from bureau.compliance.program_queries import home_glance as compliance_glance
from bureau.reports.book import book_glance
from bureau.reports.catalogue import shortcuts_for
from bureau.reports.client_dashboard import client_glance
from bureau.reports.filters import report_today
from bureau.tenancy.actor import Actor
from bureau.tenancy.context import ALL, switch_practice
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability, Role
from bureau.web.access import actor_of, chosen_practice, local_next, public
from bureau.web.links import shell_urls
from bureau.web.selectors import PAID_WINDOW_DAYS, practice_summaries, summary_totals
from bureau.workqueues.functions import CAPABILITY
from bureau.workqueues.selectors import WorkSummary, work_summary


@require_safe
def home_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    client_home = actor.can(Capability.REPORTS_VIEW) and is_client(actor)
    # The practice the page shows, as on every page with ?practice=: the one asked for (one
    # the actor may not see is a 404, as a missing one; the bar follows it), `all` for the
    # whole book, else the one the bar names. Nothing below shows another practice.
    shown: Practice | None = chosen_practice(
        request, actor, Capability.REPORTS_VIEW if client_home else tuple(Capability)
    )
    which = str(shown.public_id) if shown is not None else ALL
    summaries = [s for s in practice_summaries(actor=actor) if shown is None or s.practice == shown]
    works = any(actor.can(c) for c in set(CAPABILITY.values()))
    work = _linked(_of_practice(work_summary(actor=actor), shown)) if works else None
    book = client = None
    if actor.can(Capability.REPORTS_VIEW):
        # "Today" is the reports' own (`report_today`), so each figure is the one its link opens.
        if client_home:
            # A client's home is her practice's dashboard: the one asked for or the bar's,
            # else her first.
            practice = shown or actor.practices(Capability.REPORTS_VIEW)[0]
            today = report_today(actor, practice)
            client = client_glance(actor=actor, practice=practice, today=today, urls=_report_urls())
        elif shown is None or actor.can(Capability.REPORTS_VIEW, shown):
            # The bar names one practice: the book shows it alone; all practices: the book.
            today = report_today(actor, shown)
            book = book_glance(actor=actor, today=today, urls=_report_urls(), practice=shown)
    shortcuts = [(e, f"{e.href}?{urlencode({'practice': which})}") for e in shortcuts_for(actor)]
    # compliance: the officer's day starts at the program (two queries); the owner and others
    # who work the queue reach it from the bar, their home's cost unchanged.
    compliance = None
    if manages_compliance(actor) and not works:
        compliance = compliance_glance(actor.workspace, timezone.localdate())
    # compliance: training and policies. The workforce's own obligations, one query (the
    # policies still to acknowledge); the training due dates are on the page it links to.
    policies_pending = None if is_client(actor) else pending_count(actor.user)
    return render(
        request,
        "web/home.html",
        {
            "book": book,
            "client": client,
            "client_practices": actor.practices(Capability.REPORTS_VIEW) if client else [],
            "work": work,
            "which": which,
            "summaries": summaries,
            "list_urls": _list_urls(),
            "totals": summary_totals(summaries) if len(summaries) > 1 else None,
            "paid_window": PAID_WINDOW_DAYS,
            "perms_reports": actor.can(Capability.REPORTS_VIEW),
            "report_shortcuts": shortcuts,
            # compliance: access reviews — the open campaigns the actor reviews (one query)
            "reviews_to_do": reviews_to_do(actor),
            "today": timezone.localdate(),
            "compliance": compliance,
            "policies_pending": policies_pending,
            "reads_compliance": actor.can_workspace(Capability.COMPLIANCE_VIEW),
        },
    )


def _list_urls() -> dict[str, str]:
    """The lists a practice's counts on the home page open."""
    return {
        "patients": reverse("patients:list"),
        "claims": reverse("claims:list"),
        "exceptions": reverse("eras:exceptions"),
        "denials": reverse("denials:list"),
        "eras": reverse("eras:list"),
    }


def _of_practice(work: WorkSummary, practice: Practice | None) -> WorkSummary:
    """The work of the practice the page shows (None: all of it), its totals re-added."""
    if practice is None:
        return work
    narrowed = WorkSummary(rows=[r for r in work.rows if r["practice_id"] == practice.pk])
    for row in narrowed.rows:
        narrowed.mine += row["mine"]
        narrowed.free += row["free"]
        narrowed.breached += row["breached"]
    return narrowed


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
