"""Monthly report pages: the list (one practice or all the actor's), the preview, the PDF.

Thin: parse, call the selector, render. The preview renders the same body template as the PDF
from the same stored figures; the PDF is the stored file, as generated (its SHA-256 shown).
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from bureau.reports import monthly_selectors as selectors
from bureau.reports.monthly_render import body_html
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    FileDownload,
    actor_of,
    chosen_practice,
    file_practice_ids,
    page_number,
    query_without_page,
    record_in_context,
    requires,
    serves_file,
)

# The PDF holds the practice's month in figures (A/R, payments, denials, write-offs by payer
# and reason) and names no patient, claim or provider: it carries reports.view, over the
# whole practice (serves_file refuses a provider-limited grant: the figures are everyone's).
REPORT_CARRIES = frozenset({Capability.REPORTS_VIEW})


@require_safe
@requires(Capability.REPORTS_VIEW)
def monthly_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.REPORTS_VIEW)
    page = selectors.monthly_report_list(
        actor=actor, practice_id=practice.pk if practice else None, page=page_number(request)
    )
    return render(
        request,
        "reports/monthly/list.html",
        {
            "page": page,
            "practice": practice,
            "practices": actor.practices(Capability.REPORTS_VIEW),
            "limited": _limited(actor, practice),
            "downloadable": file_practice_ids(actor, REPORT_CARRIES),
            "query": query_without_page(request),
        },
    )


def _limited(actor: Actor, practice: Practice | None) -> list[Practice]:
    """The practices asked about whose monthly reports the list leaves out: a report covers
    every provider, and the actor's access there is limited to some (the page says so rather
    than "none yet")."""
    asked = [practice] if practice is not None else actor.practices(Capability.REPORTS_VIEW)
    return [p for p in asked if actor.provider_limited(p, Capability.REPORTS_VIEW)]


@require_safe
@requires(Capability.REPORTS_VIEW)
def monthly_preview_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    report = selectors.monthly_report_get(actor=actor, public_id=public_id)
    record_in_context(request, report.practice_id, noun="monthly report", back=request.path)
    body = body_html(
        report.figures,
        version=report.version,
        generated_at=report.generated_at,
        generated_by=report.generated_by_label,
    )
    return render(
        request,
        "reports/monthly/preview.html",
        {
            "report": report,
            "practice": actor.access[report.practice_id].practice,
            "body": body,
            "downloadable": report.practice_id in file_practice_ids(actor, REPORT_CARRIES),
        },
    )


@requires(Capability.REPORTS_VIEW)
@serves_file(carries=REPORT_CARRIES)
def monthly_pdf_view(request: HttpRequest, public_id: UUID) -> FileDownload:
    actor = actor_of(request)
    report = selectors.monthly_report_pdf(actor=actor, public_id=public_id)
    practice = actor.access[report.practice_id].practice
    return FileDownload(
        content=bytes(report.pdf),
        file_name=f"monthly-report-{practice.code}-{report.month:%Y-%m}-v{report.version}.pdf",
        practice_id=report.practice_id,
        content_type="application/pdf",
        extensions=(".pdf",),
    )
