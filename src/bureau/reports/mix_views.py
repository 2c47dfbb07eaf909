"""The payer and CPT mix page and its exports (`reports.mix` computes; this reads the request,
audits and renders)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bureau.audit.models import AuditAction
from bureau.reports import period_reports as pr
from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.mix import MixReport, payer_and_cpt_mix
from bureau.tenancy.roles import Capability
from bureau.web.access import ReportDownload, actor_of, requires, serves_report

C = Capability
REPORT = pr.Report(
    name="payer_cpt_mix",
    title="Payer & CPT mix",
    template="reports/mix.html",
    pdf_template="reports/mix_pdf.html",
    file_stem="payer-cpt-mix",
)
MODEL = "ledger.LedgerEntry"


def _chart(report: MixReport) -> StackedBars:
    return stacked_bars(
        "Charges by payer",
        ("Charges",),
        [(r.label, (r.charges,)) for r in report.payers[:15]],
    )


def _report(request: HttpRequest, *, use_context: bool = True) -> MixReport | HttpResponse:
    filters = pr.read_filters(request, REPORT, use_context=use_context)
    if isinstance(filters, HttpResponse):
        return filters
    return payer_and_cpt_mix(actor=actor_of(request), filters=filters)


def _audit(request: HttpRequest, action: AuditAction, report: MixReport, **detail: Any) -> None:
    pr.audit(
        actor_of(request), action, REPORT, report.filters, report.practice_ids, model=MODEL,
        **detail,
    )  # fmt: skip


@requires(C.REPORTS_VIEW)
def mix_view(request: HttpRequest) -> HttpResponse:
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
    "mix",
    "payer",
    "procedure code",
    "claims",
    "units",
    "charges",
    "share of charges %",
    "payments",
    "share of payments %",
    "units paid",
    "paid per unit",
    "period start",
    "period end",
]


def export_rows(report: MixReport) -> list[list[Any]]:
    f = report.filters
    rows: list[list[Any]] = []
    for r in report.payers:
        rows.append(["payer", r.label, "", r.claims, None, r.charges, r.charge_share,
                     r.payments, r.payment_share, None, None, f.start, f.end])  # fmt: skip
    t = report.total
    rows.append(["total", "", "", t.claims, None, t.charges, None, t.payments, None, None, None,
                 f.start, f.end])  # fmt: skip
    for r in report.codes:
        rows.append(["procedure", "", r.label, r.claims, r.units, r.charges, r.charge_share,
                     r.payments, r.payment_share, r.paid_units, r.paid_per_unit, f.start,
                     f.end])  # fmt: skip
    return rows


@requires(C.REPORTS_VIEW)
@serves_report(carries=pr.SUMMARY_CARRIES)
def mix_csv_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _report(request, use_context=False)
    if isinstance(report, HttpResponse):
        return report
    _audit(request, AuditAction.REPORT_EXPORTED, report, format="csv")
    return pr.csv_download(REPORT, report.filters, HEADER, export_rows(report), report.practice_ids)


@requires(C.REPORTS_VIEW)
@serves_report(carries=pr.SUMMARY_CARRIES)
def mix_pdf_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _report(request, use_context=False)
    if isinstance(report, HttpResponse):
        return report
    _audit(request, AuditAction.REPORT_EXPORTED, report, format="pdf")
    context = {"report": report, "chart": _chart(report)}
    return pr.pdf_download(REPORT, report.filters, context, report.practice_ids, actor_of(request))
