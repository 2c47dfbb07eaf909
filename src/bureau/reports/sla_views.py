"""The SLA report's page and its exports (CSV, PDF), in the A/R aging's shape."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.directory.selectors import payer_list
from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.export import CSV_TYPE, PDF_TYPE, csv_text, pdf_bytes
from bureau.reports.sla_report import REPORT, SlaLine, SlaReport, sla_report
from bureau.reports.work_filters import PeriodFilters, parse_period_filters
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    ReportDownload,
    actor_of,
    file_practice_ids,
    requires,
    serves_report,
)

C = Capability
TEMPLATE = "reports/sla.html"
# Counts of work items per function: no patient, no claim, no person. The KPI's capability.
CARRIES = frozenset({C.REPORTS_VIEW})
SERIES = ("Closed on time", "Closed late", "Open past SLA")


def _audit(actor: Actor, action: AuditAction, report: SlaReport, **detail: Any) -> None:
    """One event per practice the report read (figures only: no record is named); none had
    anything, the practices the question covered (nothing in them is still an answer)."""
    asked = report.filters.practice
    read = report.practice_ids or (
        frozenset({asked.pk}) if asked else actor.practice_ids(C.REPORTS_VIEW)
    )
    with transaction.atomic():
        audit_record_many(
            action=action,
            actor=actor,
            workspace=actor.workspace,
            model="workqueues.WorkItem",
            targets=[(actor.access[pid].practice, []) for pid in sorted(read)],
            detail={"report": REPORT, **report.filters.detail(), **detail},
        )


def _context(actor: Actor, filters: PeriodFilters | None) -> dict[str, Any]:
    return {
        "filters": filters,
        "payers": payer_list(actor=actor).order_by("name"),
        "practices": actor.practices(C.REPORTS_VIEW),
    }


def _refused(request: HttpRequest, filters: PeriodFilters) -> HttpResponse:
    """The page with its form and what could not be read (400), no figures."""
    context = _context(actor_of(request), filters) | {"errors": list(filters.errors)}
    return render(request, TEMPLATE, context, status=400)


def chart(report: SlaReport) -> StackedBars:
    """Per function (of the one practice, or across the book): on time, late, open past SLA."""
    lines = report.practices[0].functions if len(report.practices) == 1 else report.functions
    if report.practices and report.practices[0].questions and len(report.practices) == 1:
        lines = [*lines, report.practices[0].questions]
    elif report.questions is not None and len(report.practices) != 1:
        lines = [*lines, report.questions]
    rows = [
        (line.label, [Decimal(line.on_time), Decimal(line.late), Decimal(line.breached_now)])
        for line in lines
    ]
    return stacked_bars("Work items by SLA outcome, per function", SERIES, rows)


@requires(C.REPORTS_VIEW)
def sla_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    filters = parse_period_filters(request, actor, C.REPORTS_VIEW)
    if filters.errors:
        return _refused(request, filters)
    report = sla_report(actor=actor, filters=filters)
    _audit(actor, AuditAction.REPORT_VIEWED, report, level="page")
    exportable = file_practice_ids(actor, CARRIES)
    return render(
        request,
        TEMPLATE,
        _context(actor, filters)
        | {
            "report": report,
            "chart": chart(report),
            "query": filters.query(),
            "exports_partial": bool(report.practice_ids - exportable),
            "may_export": bool(exportable),
        },
    )


# -- exports -------------------------------------------------------------------------------------
def _file_name(filters: PeriodFilters, ext: str) -> str:
    scope = filters.practice.name if filters.practice else "book"
    return f"sla-{scope}-{filters.start.isoformat()}-{filters.end.isoformat()}{ext}"


def _exported(request: HttpRequest, fmt: str) -> SlaReport | HttpResponse:
    actor = actor_of(request)
    filters = parse_period_filters(request, actor, C.REPORTS_VIEW, use_context=False)
    if filters.errors:
        return _refused(request, filters)
    report = sla_report(actor=actor, filters=filters)
    _audit(actor, AuditAction.REPORT_EXPORTED, report, format=fmt)
    return report


HEADER = [
    "level",
    "practice",
    "function",
    "opened",
    "closed",
    "closed within SLA",
    "closed late",
    "open, SLA due in period",
    "open past SLA now",
    "compliance %",
    "compliance with open breaches %",
    "period start",
    "period end",
    "as of",
]


def csv_rows(report: SlaReport) -> list[list[Any]]:
    f = report.filters

    def line(level: str, practice: str, s: SlaLine) -> list[Any]:
        return [
            level,
            practice,
            s.label if s.key else "",
            s.opened,
            s.closed,
            s.on_time,
            s.late,
            s.open_due,
            s.breached_now,
            s.compliance,
            s.compliance_with_open,
            f.start,
            f.end,
            report.today,
        ]

    rows = []
    for p in report.practices:
        rows += [line("function", p.name, s) for s in p.functions]
        rows.append(line("practice", p.name, p.total))
        if p.questions is not None:
            rows.append(line("practice's clock", p.name, p.questions))
    rows += [line("function across practices", "", s) for s in report.functions]
    rows.append(line("book", "", report.book))
    if report.questions is not None:
        rows.append(line("practices' clock across practices", "", report.questions))
    return rows


@requires(C.REPORTS_VIEW)
@serves_report(carries=CARRIES)
def sla_csv_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _exported(request, "csv")
    if isinstance(report, HttpResponse):
        return report
    return ReportDownload(
        csv_text(HEADER, csv_rows(report)),
        _file_name(report.filters, ".csv"),
        report.practice_ids,
        CSV_TYPE,
        (".csv",),
    )


@requires(C.REPORTS_VIEW)
@serves_report(carries=CARRIES)
def sla_pdf_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _exported(request, "pdf")
    if isinstance(report, HttpResponse):
        return report
    context = {
        "report": report,
        "filters": report.filters,
        "chart": chart(report),
        "pdf": True,
        "workspace": actor_of(request).workspace,
    }
    return ReportDownload(
        pdf_bytes("reports/sla_pdf.html", context),
        _file_name(report.filters, ".pdf"),
        report.practice_ids,
        PDF_TYPE,
        (".pdf",),
    )
