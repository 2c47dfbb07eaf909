"""The write-offs by reason page and its exports (`reports.writeoff_report` computes)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bureau.audit.models import AuditAction
from bureau.reports import period_reports as pr
from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.writeoff_report import (
    TALLIES,
    WriteOffReport,
    WriteOffRow,
    writeoffs_by_reason,
)
from bureau.tenancy.roles import Capability
from bureau.web.access import ReportDownload, actor_of, requires, serves_report

C = Capability
REPORT = pr.Report(
    name="writeoffs_by_reason",
    title="Write-offs by reason",
    template="reports/writeoffs.html",
    pdf_template="reports/writeoffs_pdf.html",
    file_stem="writeoffs-by-reason",
)
MODEL = "billing.WriteOffRequest"


def _chart(report: WriteOffReport) -> StackedBars:
    return stacked_bars(
        "Write-off dollars by reason",
        ("Approved", "Taken back", "Waiting"),
        [
            (r.label, (r.approved.amount, r.taken_back.amount, r.pending.amount))
            for r in report.by_reason
        ],
    )


def _report(request: HttpRequest, *, use_context: bool = True) -> WriteOffReport | HttpResponse:
    filters = pr.read_filters(request, REPORT, use_context=use_context)
    if isinstance(filters, HttpResponse):
        return filters
    return writeoffs_by_reason(actor=actor_of(request), filters=filters)


def _audit(
    request: HttpRequest, action: AuditAction, report: WriteOffReport, **detail: Any
) -> None:
    pr.audit(
        actor_of(request), action, REPORT, report.filters, report.practice_ids, model=MODEL,
        **detail,
    )  # fmt: skip


@requires(C.REPORTS_VIEW)
def writeoffs_view(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    if isinstance(report, HttpResponse):
        return report
    actor = actor_of(request)
    _audit(request, AuditAction.REPORT_VIEWED, report, level="page")
    context = {
        "title": REPORT.title,
        "report": report,
        "chart": _chart(report),
        **pr.page_context(actor, report.filters, report.practice_ids),
    }
    return render(request, REPORT.template, context)


HEADER = [
    "level",
    "practice",
    "reason",
    "approved count",
    "approved dollars",
    "on denied claims count",
    "on denied claims dollars",
    "taken back count",
    "taken back dollars",
    "refused count",
    "refused dollars",
    "pending count",
    "pending dollars",
    "period start",
    "period end",
]


def export_rows(report: WriteOffReport) -> list[list[Any]]:
    f = report.filters

    def line(level: str, practice: str, reason: str, row: WriteOffRow) -> list[Any]:
        cells: list[Any] = []
        for name in TALLIES:
            tally = getattr(row, name)
            cells += [tally.count, tally.amount]
        return [level, practice, reason, *cells, f.start, f.end]

    rows = []
    for practice in report.book.children:
        rows += [line("reason", practice.label, r.label, r) for r in practice.children]
        rows.append(line("practice", practice.label, "", practice))
    rows.append(line("book", "", "", report.book))
    return rows


@requires(C.REPORTS_VIEW)
@serves_report(carries=pr.SUMMARY_CARRIES)
def writeoffs_csv_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _report(request, use_context=False)
    if isinstance(report, HttpResponse):
        return report
    _audit(request, AuditAction.REPORT_EXPORTED, report, format="csv")
    return pr.csv_download(REPORT, report.filters, HEADER, export_rows(report), report.practice_ids)


@requires(C.REPORTS_VIEW)
@serves_report(carries=pr.SUMMARY_CARRIES)
def writeoffs_pdf_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _report(request, use_context=False)
    if isinstance(report, HttpResponse):
        return report
    _audit(request, AuditAction.REPORT_EXPORTED, report, format="pdf")
    context = {"report": report, "chart": _chart(report)}
    return pr.pdf_download(REPORT, report.filters, context, report.practice_ids, actor_of(request))
