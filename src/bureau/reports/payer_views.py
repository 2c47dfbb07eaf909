"""The payer performance page and its exports (CSV, PDF): one runner, three outputs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.reports.denial_views import form_context, read_filters
from bureau.reports.export import CSV_TYPE, PDF_TYPE, csv_text, pdf_bytes
from bureau.reports.month_window import window_query
from bureau.reports.payer_report import (
    REPORT,
    PayerFigures,
    PayerReport,
    payer_chart,
    payer_performance,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.access import ReportDownload, actor_of, file_practice_ids, requires, serves_report

C = Capability
# Rates, days and dollars by practice and payer: figures, no claim or patient.
CARRIES = frozenset({C.REPORTS_VIEW})
TEMPLATE = "reports/payers.html"


def _refused(request: HttpRequest, errors: list[str]) -> HttpResponse:
    """The page with its form and what could not be read (400), no figures."""
    context = {"errors": errors, **form_context(actor_of(request))}
    return render(request, TEMPLATE, context, status=400)


def _audit(actor: Actor, action: AuditAction, report: PayerReport, **detail: Any) -> None:
    """One event per practice the report read: figures only, so no record is named."""
    f, w = report.filters, report.window
    with transaction.atomic():
        audit_record_many(
            action=action,
            actor=actor,
            workspace=actor.workspace,
            model="claims.Claim",
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
def payers_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    filters, window, errors = read_filters(request)
    if errors:
        return _refused(request, errors)
    report = payer_performance(actor=actor, filters=filters, window=window)
    _audit(actor, AuditAction.REPORT_VIEWED, report, level="page")
    exportable = file_practice_ids(actor, CARRIES)
    page = reverse("reports:payers")
    for block in report.practices:
        block.drill = f"{page}?{urlencode(window_query(filters, window, practice=block.public_id))}"
    return render(
        request,
        TEMPLATE,
        {
            "report": report,
            "filters": filters,
            "window": window,
            "chart": payer_chart(report),
            "query": urlencode(window_query(filters, window)),
            "exports_partial": bool(report.practice_ids - exportable),
            "may_export": bool(exportable),
            **form_context(actor),
        },
    )


# -- exports -------------------------------------------------------------------------------------
def _exported(request: HttpRequest) -> PayerReport | HttpResponse:
    filters, window, errors = read_filters(request, use_context=False)
    if errors:
        return _refused(request, errors)
    return payer_performance(actor=actor_of(request), filters=filters, window=window)


def _file_name(report: PayerReport, ext: str) -> str:
    scope = report.filters.practice.name if report.filters.practice else "book"
    w = report.window
    return f"payer-performance-{scope}-{w.start:%Y-%m}-to-{w.last:%Y-%m}{ext}"


HEADER = [
    "level",
    "practice",
    "payer",
    "claims first adjudicated",
    "days to first 835",
    "days to pay",
    "initial denial rate %",
    "first-pass rate %",
    "initially denied claims",
    "first-pass claims",
    "contracted lines",
    "underpaid lines",
    "underpayment rate %",
    "underpaid dollars",
    "denials",
    "denied dollars",
    "from",
    "to",
]


def export_rows(report: PayerReport) -> list[list[Any]]:
    w = report.window

    def line(level: str, practice: str, payer: str, f: PayerFigures) -> list[Any]:
        return [
            level, practice, payer, f.adjudicated, f.days_to_answer, f.days_to_pay,
            f.initial_denial_rate, f.first_pass_rate, f.initially_denied, f.first_pass,
            f.contracted_lines, f.underpaid_lines, f.underpayment_rate, f.underpaid,
            f.denials, f.denied, w.start, w.end,
        ]  # fmt: skip

    rows = [line("payer", "", r.label, r.figures) for r in report.payers]
    for block in report.practices:
        rows += [line("practice payer", block.label, r.label, r.figures) for r in block.payers]
        rows.append(line("practice", block.label, "", block.figures))
    rows.append(line("book", "", "", report.total))
    return rows


@requires(C.REPORTS_VIEW)
@serves_report(carries=CARRIES)
def payers_csv_view(request: HttpRequest) -> ReportDownload | HttpResponse:
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
def payers_pdf_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _exported(request)
    if isinstance(report, HttpResponse):
        return report
    actor = actor_of(request)
    _audit(actor, AuditAction.REPORT_EXPORTED, report, format="pdf")
    context = {
        "report": report,
        "filters": report.filters,
        "window": report.window,
        "chart": payer_chart(report),
        "pdf": True,
        "workspace": actor.workspace,
    }
    return ReportDownload(
        pdf_bytes("reports/payers_pdf.html", context),
        _file_name(report, ".pdf"),
        report.practice_ids,
        PDF_TYPE,
        (".pdf",),
    )
