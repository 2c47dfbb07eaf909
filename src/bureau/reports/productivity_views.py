"""The productivity report's page and its exports (CSV, PDF), in the A/R aging's shape."""

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
from bureau.reports.productivity import REPORT, ProductivityReport, WorkLine, productivity_report
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
TEMPLATE = "reports/productivity.html"
# Figures about work and the names of the billing company's people who did it: no patient,
# no claim. The KPI's capability, the aging summary's carries.
CARRIES = frozenset({C.REPORTS_VIEW})
CHART_SERIES = 5  # practices drawn apart in the chart; more are drawn as one total


def _audit(actor: Actor, action: AuditAction, report: ProductivityReport, **detail: Any) -> None:
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


def chart(report: ProductivityReport) -> StackedBars:
    """Items resolved per person, split by practice (up to CHART_SERIES practices)."""
    practices = report.practices
    if 1 < len(practices) <= CHART_SERIES:
        series = [p.name for p in practices]
        rows = [
            (
                person.label,
                [
                    Decimal(sum(w.items for w in p.people if w.user_id == person.user_id))
                    for p in practices
                ],
            )
            for person in report.people
        ]
    else:
        series = ["Items resolved"]
        rows = [(person.label, [Decimal(person.items)]) for person in report.people]
    return stacked_bars("Work items resolved, per person", series, rows[:25])


@requires(C.REPORTS_VIEW)
def productivity_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    filters = parse_period_filters(request, actor, C.REPORTS_VIEW)
    if filters.errors:
        return _refused(request, filters)
    report = productivity_report(actor=actor, filters=filters)
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
    return f"productivity-{scope}-{filters.start.isoformat()}-{filters.end.isoformat()}{ext}"


def _exported(request: HttpRequest, fmt: str) -> ProductivityReport | HttpResponse:
    actor = actor_of(request)
    filters = parse_period_filters(request, actor, C.REPORTS_VIEW, use_context=False)
    if filters.errors:
        return _refused(request, filters)
    report = productivity_report(actor=actor, filters=filters)
    _audit(actor, AuditAction.REPORT_EXPORTED, report, format=fmt)
    return report


HEADER = [
    "level",
    "practice",
    "person",
    "people",
    "items resolved",
    "dollars resolved",
    "attempts",
    "business days",
    "items per person-day",
    "dollars per person-day",
    "attempts per person-day",
    "period start",
    "period end",
]


def csv_rows(report: ProductivityReport) -> list[list[Any]]:
    f = report.filters

    def line(level: str, practice: str, person: str, w: WorkLine) -> list[Any]:
        return [
            level,
            practice,
            person,
            w.people,
            w.items,
            w.dollars,
            w.attempts,
            w.days,
            w.items_per_day,
            w.dollars_per_day,
            w.attempts_per_day,
            f.start,
            f.end,
        ]

    rows = []
    for practice in report.practices:
        rows += [line("person", practice.name, w.label, w) for w in practice.people]
        rows.append(line("practice", practice.name, "", practice.total))
    rows += [line("person across practices", "", w.label, w) for w in report.people]
    rows.append(line("book", "", "", report.book))
    return rows


@requires(C.REPORTS_VIEW)
@serves_report(carries=CARRIES)
def productivity_csv_view(request: HttpRequest) -> ReportDownload | HttpResponse:
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
def productivity_pdf_view(request: HttpRequest) -> ReportDownload | HttpResponse:
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
        pdf_bytes("reports/productivity_pdf.html", context),
        _file_name(report.filters, ".pdf"),
        report.practice_ids,
        PDF_TYPE,
        (".pdf",),
    )
