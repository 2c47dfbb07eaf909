"""The ERA posting volume page and its exports (`reports.posting` computes)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bureau.audit.models import AuditAction
from bureau.reports import period_reports as pr
from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.posting import PostingReport, posting_volume
from bureau.tenancy.roles import Capability
from bureau.web.access import ReportDownload, actor_of, requires, serves_report

C = Capability
REPORT = pr.Report(
    name="era_posting_volume",
    title="ERA posting volume",
    template="reports/posting.html",
    pdf_template="reports/posting_pdf.html",
    file_stem="era-posting-volume",
)
MODEL = "remittance.Era"


def _chart(report: PostingReport) -> StackedBars:
    by = "day" if report.daily else "month"
    return stacked_bars(
        f"Dollars paid on ERA claims by {by}: auto-posted, posted after review, not posted",
        ("Auto-posted", "Reviewed", "Not posted"),
        [
            (r.label, (r.auto_paid, r.resolved_paid, r.paid - r.posted_paid))
            for r in report.rows[-36:]
        ],
    )


def _report(request: HttpRequest, *, use_context: bool = True) -> PostingReport | HttpResponse:
    filters = pr.read_filters(request, REPORT, use_context=use_context)
    if isinstance(filters, HttpResponse):
        return filters
    return posting_volume(actor=actor_of(request), filters=filters)


def _audit(request: HttpRequest, action: AuditAction, report: PostingReport, **detail: Any) -> None:
    pr.audit(
        actor_of(request), action, REPORT, report.filters, report.practice_ids, model=MODEL,
        **detail,
    )  # fmt: skip


@requires(C.REPORTS_VIEW)
def posting_view(request: HttpRequest) -> HttpResponse:
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
    "period",
    "first day",
    "ERAs",
    "claim payments",
    "auto-posted",
    "sent to exceptions",
    "posted after review",
    "exceptions open",
    "dismissed",
    "auto-post rate %",
    "paid (CLP04)",
    "auto-posted dollars",
    "posted after review dollars",
    "dollars posted",
    "auto-post rate by dollars %",
    "period start",
    "period end",
]


def export_rows(report: PostingReport) -> list[list[Any]]:
    f = report.filters

    def line(level: str, r: Any) -> list[Any]:
        return [
            level, r.label, r.first_day, r.eras, r.claims, r.auto, r.exceptions, r.resolved,
            r.open, r.dismissed, r.auto_rate, r.paid, r.auto_paid, r.resolved_paid,
            r.posted_paid, r.auto_dollar_rate, f.start, f.end,
        ]  # fmt: skip

    by = "day" if report.daily else "month"
    return [*(line(by, r) for r in report.rows), line("total", report.total)]


@requires(C.REPORTS_VIEW)
@serves_report(carries=pr.SUMMARY_CARRIES)
def posting_csv_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _report(request, use_context=False)
    if isinstance(report, HttpResponse):
        return report
    _audit(request, AuditAction.REPORT_EXPORTED, report, format="csv")
    return pr.csv_download(REPORT, report.filters, HEADER, export_rows(report), report.practice_ids)


@requires(C.REPORTS_VIEW)
@serves_report(carries=pr.SUMMARY_CARRIES)
def posting_pdf_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _report(request, use_context=False)
    if isinstance(report, HttpResponse):
        return report
    _audit(request, AuditAction.REPORT_EXPORTED, report, format="pdf")
    context = {"report": report, "chart": _chart(report)}
    return pr.pdf_download(REPORT, report.filters, context, report.practice_ids, actor_of(request))
