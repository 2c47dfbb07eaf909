"""The underpayments page (book → practice → payer, and the claims of one practice), and its
exports (`reports.underpayment_report` computes; the figures' views are `PeriodViews`')."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from bureau.audit.models import AuditAction
from bureau.reports import period_reports as pr
from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.report_views import csv_file, cut_name, may_take
from bureau.reports.underpayment_report import (
    EXPORT_CLAIMS,
    ShortClaim,
    ShortRow,
    UnderpaymentReport,
    underpaid_claims,
    underpayments_by_payer,
)
from bureau.tenancy.roles import Capability
from bureau.web.access import ReportDownload, actor_of, requires, serves_report
from bureau.web.links import record_url

C = Capability
# Claim rows name claims and patients: claims.view, names masked without demographics (as the
# aging report's claim rows, for the same reasons).
CLAIMS_CARRIES = frozenset({C.REPORTS_VIEW, C.CLAIMS_VIEW})


def _chart(report: UnderpaymentReport) -> StackedBars:
    one = report.filters.practice is not None and len(report.book.children) == 1
    rows = report.book.children[0].children if one else report.book.children
    what = "payer" if one else "practice"
    return stacked_bars(
        f"Paid and short of contract by {what}",
        ("Allowed", "Short of contract"),
        [(r.label, (r.allowed, r.shortfall)) for r in rows[:15]],
    )


def _audit(
    request: HttpRequest,
    action: AuditAction,
    report: UnderpaymentReport,
    claims: list[ShortClaim],
    **detail: Any,
) -> None:
    """The period reports' events, naming the claims shown or exported in their practices."""
    records: dict[int, list[str]] = {}
    for c in claims:
        records.setdefault(c.practice_id, []).append(c.public_id)
    pr.audit_period(
        actor_of(request), action, VIEWS.name, report.filters, report.practice_ids,
        model=VIEWS.model, records=records, **detail,
    )  # fmt: skip


@require_safe
@requires(C.REPORTS_VIEW)
def underpayments_view(request: HttpRequest) -> HttpResponse:
    """The period report's page, and under it the claims of one practice: its own view, since
    the claims it shows are audited with the figures."""
    report = VIEWS.run(request, True)
    if isinstance(report, HttpResponse):
        return report
    actor = actor_of(request)
    f = report.filters
    # The claims: shown for one practice (the drill from a payer row sets practice and payer).
    claims: list[ShortClaim] = []
    claim_total = 0
    may_claims = f.practice is not None and actor.can(C.CLAIMS_VIEW, f.practice)
    if may_claims:
        claims, claim_total = underpaid_claims(actor=actor, filters=f)
    _audit(request, AuditAction.REPORT_VIEWED, report, claims, level="page")
    context = VIEWS.context(actor, report) | {
        "claims": [(c, record_url(c.public_id, "claims:detail")) for c in claims],
        "claim_total": claim_total,
        "show_claims": may_claims,
        "may_export_claims": may_take(actor, CLAIMS_CARRIES, f.practice),
        "claims_csv_url": "reports:underpayments_claims_csv",
    }
    return render(request, VIEWS.template, context)


HEADER = [
    "level",
    "practice",
    "payer",
    "lines",
    "claims",
    "expected",
    "allowed",
    "paid",
    "shortfall",
    "period start",
    "period end",
]


def export_rows(report: UnderpaymentReport) -> list[list[Any]]:
    f = report.filters

    def line(level: str, practice: str, payer: str, r: ShortRow) -> list[Any]:
        return [level, practice, payer, r.lines, r.claims, r.expected, r.allowed, r.paid,
                r.shortfall, f.start, f.end]  # fmt: skip

    rows = []
    for practice in report.book.children:
        rows += [line("payer", practice.label, y.label, y) for y in practice.children]
        rows.append(line("practice", practice.label, "", practice))
    rows.append(line("book", "", "", report.book))
    return rows


# The figures' files; a file of claims is the claims CSV below (it carries claims.view).
VIEWS = pr.PeriodViews(
    runner=underpayments_by_payer,
    name="underpayments",
    title="Underpayments against contract",
    template="reports/underpayments.html",
    pdf_template="reports/underpayments_pdf.html",
    file_stem="underpayments",
    model="claims.Claim",
    chart=_chart,
    header=HEADER,
    rows=export_rows,
    export_detail={"level": "payer"},
)
underpayments_csv_view = VIEWS.csv_view()
underpayments_pdf_view = VIEWS.pdf_view()

CLAIMS_HEADER = [
    "practice",
    "payer",
    "claim",
    "patient account",
    "patient",
    "date of service",
    "lines",
    "expected",
    "allowed",
    "paid",
    "shortfall",
]


@requires(C.REPORTS_VIEW)
@serves_report(carries=CLAIMS_CARRIES)
def underpayments_claims_csv_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = VIEWS.run(request, False)
    if isinstance(report, HttpResponse):
        return report
    claims, total = underpaid_claims(
        actor=actor_of(request), filters=report.filters, limit=EXPORT_CLAIMS
    )
    _audit(
        request, AuditAction.REPORT_EXPORTED, report, claims, format="csv", level="claim",
        rows=len(claims), of=total,
    )  # fmt: skip
    rows = [
        [c.practice_name, c.payer_name, c.number, c.patient_account, c.patient_name,
         c.date_of_service, c.lines, c.expected, c.allowed, c.paid, c.shortfall]
        for c in claims
    ]  # fmt: skip
    name = cut_name(VIEWS.file_name(report, ".csv", kind="claims"), len(rows), total)
    return csv_file(
        CLAIMS_HEADER, rows, name, report.practice_ids | {c.practice_id for c in claims}
    )
