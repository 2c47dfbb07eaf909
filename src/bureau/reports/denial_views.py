"""The denials analytics page and its exports (CSV, PDF): one runner, three outputs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.directory.selectors import payer_list
from bureau.reports.denial_report import (
    REPORT,
    DenialReport,
    denial_analytics,
    denial_chart,
)
from bureau.reports.export import CSV_TYPE, PDF_TYPE, csv_text, pdf_bytes
from bureau.reports.filters import ReportFilters, parse_report_filters
from bureau.reports.month_window import (
    LONGEST_WINDOW,
    MonthWindow,
    parse_month_window,
    window_query,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.access import ReportDownload, actor_of, file_practice_ids, requires, serves_report

C = Capability
# Counts and dollars by category, reason, payer and practice: figures, no claim or patient.
CARRIES = frozenset({C.REPORTS_VIEW})
TEMPLATE = "reports/denials.html"


def read_filters(
    request: HttpRequest, *, use_context: bool = True
) -> tuple[ReportFilters, MonthWindow, list[str]]:
    """The practice and payer (reports.filters) and the month window of this request."""
    actor = actor_of(request)
    filters = parse_report_filters(request, actor, C.REPORTS_VIEW, use_context=use_context)
    window, problems = parse_month_window(request, timezone.localdate())
    return filters, window, [*filters.errors, *problems]


def form_context(actor: Actor) -> dict[str, Any]:
    return {
        "payers": payer_list(actor=actor).order_by("name"),
        "practices": actor.practices(C.REPORTS_VIEW),
        "window_choices": (1, 3, 6, 12, 24, LONGEST_WINDOW),
    }


def _refused(request: HttpRequest, errors: list[str]) -> HttpResponse:
    """The page with its form and what could not be read (400), no figures."""
    context = {"errors": errors, **form_context(actor_of(request))}
    return render(request, TEMPLATE, context, status=400)


def _audit(actor: Actor, action: AuditAction, report: DenialReport, **detail: Any) -> None:
    """One event per practice the report read: figures only, so no record is named."""
    f, w = report.filters, report.window
    with transaction.atomic():
        audit_record_many(
            action=action,
            actor=actor,
            workspace=actor.workspace,
            model="denials.Denial",
            targets=[(actor.access[pid].practice, []) for pid in sorted(report.practice_ids)],
            detail={
                "report": REPORT,
                "from": w.start.isoformat(),
                "to": w.end.isoformat(),
                "payer": str(f.payer.public_id) if f.payer else "",
                **detail,
            },
        )


@requires(C.REPORTS_VIEW)
def denials_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    filters, window, errors = read_filters(request)
    if errors:
        return _refused(request, errors)
    report = denial_analytics(actor=actor, filters=filters, window=window)
    _audit(actor, AuditAction.REPORT_VIEWED, report, level="page")
    exportable = file_practice_ids(actor, CARRIES)
    return render(
        request,
        TEMPLATE,
        {
            "report": report,
            "filters": filters,
            "window": window,
            "chart": denial_chart(report),
            "query": urlencode(window_query(filters, window)),
            "exports_partial": bool(report.practice_ids - exportable),
            "may_export": bool(exportable),
            **form_context(actor),
        },
    )


# -- exports -------------------------------------------------------------------------------------
def _exported(request: HttpRequest) -> DenialReport | HttpResponse:
    filters, window, errors = read_filters(request, use_context=False)
    if errors:
        return _refused(request, errors)
    return denial_analytics(actor=actor_of(request), filters=filters, window=window)


def _file_name(report: DenialReport, ext: str) -> str:
    scope = report.filters.practice.name if report.filters.practice else "book"
    w = report.window
    return f"denials-{scope}-{w.start:%Y-%m}-to-{w.last:%Y-%m}{ext}"


HEADER = [
    "section",
    "practice",
    "payer",
    "category",
    "carc",
    "description",
    "root cause",
    "month",
    "denials",
    "dollars denied",
    "share of denials %",
    "share of dollars %",
    "from",
    "to",
]


def export_rows(report: DenialReport) -> list[list[Any]]:
    """Every table of the page as long-format rows, one `section` each, so a spreadsheet can
    pivot them; the month is the month's first day (a date), blank on a period total."""
    w = report.window
    practice = report.filters.practice.name if report.filters.practice else ""
    payer = report.filters.payer.name if report.filters.payer else ""

    def line(section: str, **v: Any) -> list[Any]:
        return [
            section,
            v.get("practice", practice),
            v.get("payer", payer),
            v.get("category", ""),
            v.get("carc", ""),
            v.get("description", ""),
            v.get("cause", ""),
            v.get("month"),
            v["count"],
            v["dollars"],
            v.get("count_share"),
            v.get("dollar_share"),
            w.start,
            w.end,
        ]

    rows = []
    for c in report.categories:
        for month, t in zip(w.firsts, c.months, strict=True):
            rows.append(line("category by month", category=c.label, month=month, count=t.count,
                             dollars=t.dollars))  # fmt: skip
        rows.append(
            line("category", category=c.label, count=c.total.count, dollars=c.total.dollars)
        )
    for r in report.reasons:
        rows.append(line("reason", carc=r.carc, description=r.description, category=r.category,
                         count=r.count, dollars=r.dollars, count_share=r.count_share,
                         dollar_share=r.dollar_share))  # fmt: skip
    for p in report.payer_reasons:
        for month, t in zip(w.firsts, p.months, strict=True):
            if t.count:
                rows.append(line("payer reason by month", payer=p.payer, carc=p.carc,
                                 description=p.description, month=month, count=t.count,
                                 dollars=t.dollars))  # fmt: skip
        rows.append(line("payer reason", payer=p.payer, carc=p.carc, description=p.description,
                         count=p.total.count, dollars=p.total.dollars))  # fmt: skip
    for rc in report.root_causes:
        rows.append(line("root cause", cause=rc.label, category=rc.category, count=rc.count,
                         dollars=rc.dollars, dollar_share=rc.dollar_share))  # fmt: skip
    for pr in report.practices:
        rows.append(line("practice", practice=pr.label, count=pr.count, dollars=pr.dollars))
    rows.append(line("total", count=report.total.count, dollars=report.total.dollars))
    return rows


@requires(C.REPORTS_VIEW)
@serves_report(carries=CARRIES)
def denials_csv_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _exported(request)
    if isinstance(report, HttpResponse):
        return report
    _audit(actor_of(request), AuditAction.REPORT_EXPORTED, report, format="csv")
    return ReportDownload(
        csv_text(HEADER, export_rows(report)),
        _file_name(report, ".csv"),
        report.practice_ids,
        CSV_TYPE,
        (".csv",),
    )


@requires(C.REPORTS_VIEW)
@serves_report(carries=CARRIES)
def denials_pdf_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _exported(request)
    if isinstance(report, HttpResponse):
        return report
    actor = actor_of(request)
    _audit(actor, AuditAction.REPORT_EXPORTED, report, format="pdf")
    context = {
        "report": report,
        "filters": report.filters,
        "window": report.window,
        "chart": denial_chart(report),
        "pdf": True,
        "workspace": actor.workspace,
    }
    return ReportDownload(
        pdf_bytes("reports/denials_pdf.html", context),
        _file_name(report, ".pdf"),
        report.practice_ids,
        PDF_TYPE,
        (".pdf",),
    )
