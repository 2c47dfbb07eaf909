"""The A/R aging page, its drill-down rows and its exports.

Book → practice → payer → claim in one page: each row's name is a plain link to the same page
with that row open (`?open=<practice>&open_payer=<payer>`), and carries `hx-get` to the rows
partial, which answers the row itself (open) and its children, swapped in place. Without
script the link reloads the page with the row open; with htmx only the rows travel.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.directory.models import Payer
from bureau.directory.selectors import payer_by_public_id
from bureau.reports import aging
from bureau.reports.aging import BUCKETS, AgingReport, AgingRow, ClaimAging
from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.filters import ReportFilters, file_scope, parse_report_filters
from bureau.reports.report_views import (
    SUMMARY_CARRIES,
    csv_file,
    cut_name,
    export_links,
    file_coverage,
    form_context,
    may_take,
    pdf_file,
    print_context,
    refused,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    ReportDownload,
    actor_of,
    chosen_practice,
    requires,
    serves_report,
)
from bureau.web.links import record_url

C = Capability
REPORT = "aging"
# Claim rows name claims and their patients. Names are masked (initials, as on the claim
# list) where the actor lacks patients.demographics rather than demographics being required:
# a denial specialist or a compliance reviewer works claim-level aging without needing names,
# the account number and claim number identify the row, and the page shows the same masking,
# so the export never carries more than the page (minimum necessary), and never less.
CLAIMS_CARRIES = frozenset({C.REPORTS_VIEW, C.CLAIMS_VIEW})


# -- what the table shows ------------------------------------------------------------------------
@dataclass
class PayerNode:
    row: AgingRow
    open: bool
    href: str  # the page with this payer open (or closed, when open)
    hx: str  # the rows partial that opens it
    claims: list[ClaimAging] = field(default_factory=list)
    claim_count: int = 0
    may_open: bool = True


@dataclass
class PracticeNode:
    row: AgingRow
    open: bool
    href: str
    hx: str
    payers: list[PayerNode] = field(default_factory=list)


def _page(filters: ReportFilters, **drill: str) -> str:
    return f"{reverse('reports:aging')}?{filters.query(**drill)}"


def _rows(filters: ReportFilters, **drill: str) -> str:
    return f"{reverse('reports:aging_rows')}?{filters.query(**drill)}"


def _tree(
    actor: Actor,
    report: AgingReport,
    open_practice: Practice | None,
    open_payer: Payer | None,
) -> list[PracticeNode]:
    f = report.filters
    nodes = []
    for prow in report.book.children:
        p_open = open_practice is not None and prow.public_id == str(open_practice.public_id)
        node = PracticeNode(
            prow,
            p_open,
            _page(f) if p_open else f"{_page(f, open=prow.public_id)}#p-{prow.public_id}",
            _rows(f, open=prow.public_id),
        )
        nodes.append(node)
        if not p_open or open_practice is None:
            continue
        may_open = actor.can(C.CLAIMS_VIEW, open_practice)
        for yrow in prow.children:
            y_open = open_payer is not None and yrow.public_id == str(open_payer.public_id)
            drill = {"open": prow.public_id}
            payer = PayerNode(
                yrow,
                y_open and may_open,
                _page(f, **drill) if y_open else _page(f, **drill, open_payer=yrow.public_id),
                _rows(f, **drill, open_payer=yrow.public_id),
                may_open=may_open,
            )
            node.payers.append(payer)
    return nodes


def _claims_of(actor: Actor, nodes: list[PracticeNode], filters: ReportFilters) -> None:
    """Claim rows under the open payer of the open practice (one query, audited by the view)."""
    for node in nodes:
        for payer in node.payers:
            if payer.open:
                practice = actor.practice_by_public_id(node.row.public_id)
                payer_obj = payer_by_public_id(actor=actor, public_id=payer.row.public_id)
                if payer_obj is None:
                    continue  # the report's own row: gone only if deleted meanwhile
                narrowed = ReportFilters(practice, payer_obj, filters.as_of, filters.basis)
                payer.claims, payer.claim_count = aging.aging_claims(actor=actor, filters=narrowed)


def _chart(report: AgingReport, nodes: list[PracticeNode]) -> StackedBars:
    opened = next((n for n in nodes if n.open), None)
    if report.filters.practice is not None or opened is not None:
        parent = opened.row if opened else report.book.children[0] if report.book.children else None
        rows = parent.children if parent else []
        title = f"Insurance A/R by payer and age{f' · {parent.label}' if parent else ''}"
    else:
        rows = report.book.children
        title = "Insurance A/R by practice and age"
    return stacked_bars(title, BUCKETS, [(r.label, r.insurance.amounts) for r in rows[:15]])


# -- reading the request -------------------------------------------------------------------------
def _open_payer(request: HttpRequest, actor: Actor) -> tuple[Payer | None, str]:
    value = request.GET.get("open_payer", "").strip()
    if not value:
        return None, ""
    try:
        public_id = UUID(value[:40])
    except ValueError:
        return None, "The payer row asked for is not a payer id."
    payer = payer_by_public_id(actor=actor, public_id=public_id)
    return payer, "" if payer else "No payer has this id."


def _audit(actor: Actor, action: AuditAction, report: AgingReport, **detail: Any) -> None:
    """One event per practice the report read; claim rows shown or exported by public id."""
    claims: list[ClaimAging] = detail.pop("claims", [])
    ids: dict[int, list[str]] = {pid: [] for pid in report.practice_ids}
    for claim in claims:
        ids.setdefault(claim.practice_id, []).append(claim.public_id)
    f = report.filters
    with transaction.atomic():
        audit_record_many(
            action=action,
            actor=actor,
            workspace=actor.workspace,
            model="claims.Claim",
            targets=[(actor.access[pid].practice, ids[pid]) for pid in sorted(ids)],
            detail={
                "report": REPORT,
                "as_of": f.as_of.isoformat(),
                "basis": f.basis.value,
                "payer": str(f.payer.public_id) if f.payer else "",
                **detail,
            },
        )


def _refused(request: HttpRequest, errors: list[str], filters: ReportFilters) -> HttpResponse:
    """The 400 page keeps what could be read (the as-of date, the basis) in its form."""
    return refused(request, "reports/aging.html", errors, buckets=BUCKETS, filters=filters)


# -- the page ------------------------------------------------------------------------------------
def _read(
    request: HttpRequest, *, use_context: bool = True
) -> tuple[ReportFilters, Practice | None, Payer | None, list[str]]:
    actor = actor_of(request)
    filters = parse_report_filters(request, actor, C.REPORTS_VIEW, use_context=use_context)
    open_practice = chosen_practice(
        request, actor, C.REPORTS_VIEW, chosen=request.GET.get("open", ""), use_context=False
    )
    # A report of one practice (the filter, or the bar) opens on its payers.
    open_practice = open_practice or filters.practice
    open_payer, problem = _open_payer(request, actor)
    return filters, open_practice, open_payer, [*filters.errors, *([problem] if problem else [])]


@require_safe
@requires(C.REPORTS_VIEW)
def aging_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    filters, open_practice, open_payer, errors = _read(request)
    if errors:
        return _refused(request, errors, filters)
    report = aging.aging_by_bucket(actor=actor, filters=filters)
    nodes = _tree(actor, report, open_practice, open_payer)
    _claims_of(actor, nodes, filters)
    shown = [c for n in nodes for p in n.payers for c in p.claims]
    _audit(actor, AuditAction.REPORT_VIEWED, report, claims=shown, level="page")
    return render(
        request,
        "reports/aging.html",
        {
            "report": report,
            "filters": filters,
            "nodes": nodes,
            "buckets": BUCKETS,
            "chart": _chart(report, nodes),
            **form_context(actor),
            **export_links(actor, filters.query(), report.practice_ids, practice=filters.practice),
            "may_export_claims": may_take(actor, CLAIMS_CARRIES, filters.practice),
        },
    )


@require_safe
@requires(C.REPORTS_VIEW)
def aging_rows_view(request: HttpRequest) -> HttpResponse:
    """The rows under one practice (its payers) or one payer of it (its claims), with the row
    itself, open: what the page's row link swaps in. No practice asked for: the book's rows.

    A piece of a page already shown, read as its link says (the page's links always name the
    practice, `all` included) and never moving the practice bar: another tab may have moved
    the bar since, and a fragment shows no bar to say it moved back."""
    actor = actor_of(request)
    filters, open_practice, open_payer, errors = _read(request, use_context=False)
    if errors:
        return _refused(request, errors, filters)
    report = aging.aging_by_bucket(actor=actor, filters=filters)
    nodes = _tree(actor, report, open_practice, open_payer)
    if open_practice is not None:
        nodes = [n for n in nodes if n.open]
    if open_payer is not None and nodes:
        payers = [p for p in nodes[0].payers if p.open]
        if not payers:
            raise Http404  # a payer row the practice does not have, or claims it may not see
        nodes[0].payers = payers
        _claims_of(actor, nodes, filters)
    shown = [c for n in nodes for p in n.payers for c in p.claims]
    _audit(actor, AuditAction.REPORT_VIEWED, report, claims=shown, level="rows")
    template = "reports/_aging_payer.html" if open_payer is not None else "reports/_aging_rows.html"
    context = {"nodes": nodes, "buckets": BUCKETS, "filters": filters}
    if open_payer is not None and nodes:
        context |= {"node": nodes[0], "payer": nodes[0].payers[0]}
    return render(request, template, context)


# -- exports -------------------------------------------------------------------------------------
def _file_name(filters: ReportFilters, practice_ids: Collection[int], kind: str, ext: str) -> str:
    scope = file_scope(filters.practice, practice_ids)
    return f"ar-aging-{kind}-{scope}-{filters.as_of.isoformat()}{ext}"


def _summary(request: HttpRequest) -> AgingReport | HttpResponse:
    actor = actor_of(request)
    filters = parse_report_filters(request, actor, C.REPORTS_VIEW, use_context=False)
    if filters.errors:
        return _refused(request, list(filters.errors), filters)
    return aging.aging_by_bucket(actor=actor, filters=filters)


SUMMARY_HEADER = [
    "level",
    "practice",
    "payer",
    "claims",
    *(f"insurance {b}" for b in BUCKETS),
    "insurance total",
    *(f"patient {b}" for b in BUCKETS),
    "patient total",
    "as of",
    "aging basis",
]


def summary_rows(report: AgingReport) -> list[list[Any]]:
    f = report.filters

    def line(level: str, practice: str, payer: str, row: AgingRow) -> list[Any]:
        return [
            level,
            practice,
            payer,
            row.claims,
            *row.insurance.amounts,
            row.insurance.total,
            *row.patient.amounts,
            row.patient.total,
            f.as_of,
            f.basis.value,
        ]

    rows = []
    for practice in report.book.children:
        rows += [line("payer", practice.label, y.label, y) for y in practice.children]
        rows.append(line("practice", practice.label, "", practice))
    rows.append(line("book", "", "", report.book))
    return rows


@requires(C.REPORTS_VIEW)
@serves_report(carries=SUMMARY_CARRIES)
def aging_csv_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _summary(request)
    if isinstance(report, HttpResponse):
        return report
    _audit(actor_of(request), AuditAction.REPORT_EXPORTED, report, format="csv", level="payer")
    name = _file_name(report.filters, report.practice_ids, "summary", ".csv")
    return csv_file(SUMMARY_HEADER, summary_rows(report), name, report.practice_ids)


@requires(C.REPORTS_VIEW)
@serves_report(carries=SUMMARY_CARRIES)
def aging_pdf_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    report = _summary(request)
    if isinstance(report, HttpResponse):
        return report
    actor = actor_of(request)
    _audit(actor, AuditAction.REPORT_EXPORTED, report, format="pdf", level="payer")
    nodes = _tree(actor, report, None, None)
    for node in nodes:  # the PDF shows every practice's payers: paper does not expand
        node.open = True
        node.payers = [PayerNode(y, False, "", "", may_open=False) for y in node.row.children]
    context = print_context(
        actor, report.filters, report=report, nodes=nodes, buckets=BUCKETS, chart=_chart(report, [])
    )
    context["coverage"] = file_coverage(request, report.filters.practice)
    name = _file_name(report.filters, report.practice_ids, "summary", ".pdf")
    return pdf_file("reports/aging_pdf.html", context, name, report.practice_ids)


CLAIMS_HEADER = [
    "practice",
    "payer",
    "claim",
    "patient account",
    "patient",
    "date of service",
    "aging start",
    "days",
    "bucket",
    "insurance balance",
    "patient balance",
]


def _claim_export(
    request: HttpRequest, fmt: str
) -> tuple[AgingReport, list[ClaimAging], int] | HttpResponse:
    """The claims a file carries (up to EXPORT_CLAIMS of `total`, PDF_CLAIMS in a PDF),
    audited by public id."""
    actor = actor_of(request)
    report = _summary(request)
    if isinstance(report, HttpResponse):
        return report
    limit = aging.PDF_CLAIMS if fmt == "pdf" else aging.EXPORT_CLAIMS
    claims, total = aging.aging_claims(actor=actor, filters=report.filters, limit=limit)
    _audit(
        actor, AuditAction.REPORT_EXPORTED, report, claims=claims, format=fmt, level="claim",
        rows=len(claims), of=total,
    )  # fmt: skip
    return report, claims, total


@requires(C.REPORTS_VIEW)
@serves_report(carries=CLAIMS_CARRIES)
def aging_claims_csv_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    answer = _claim_export(request, "csv")
    if isinstance(answer, HttpResponse):
        return answer
    report, claims, total = answer
    rows = [
        [c.practice_name, c.payer_name, c.number, c.patient_account, c.patient_name,
         c.date_of_service, c.start, c.days, c.bucket_label, c.insurance, c.patient]
        for c in claims
    ]  # fmt: skip
    practice_ids = report.practice_ids | {c.practice_id for c in claims}
    name = cut_name(_file_name(report.filters, practice_ids, "claims", ".csv"), len(rows), total)
    return csv_file(CLAIMS_HEADER, rows, name, practice_ids)


@requires(C.REPORTS_VIEW)
@serves_report(carries=CLAIMS_CARRIES)
def aging_claims_pdf_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    answer = _claim_export(request, "pdf")
    if isinstance(answer, HttpResponse):
        return answer
    report, claims, total = answer
    actor = actor_of(request)
    context = print_context(
        actor, report.filters, report=report, claims=claims, claim_total=total, buckets=BUCKETS,
        chart=_chart(report, []), export_claims=aging.EXPORT_CLAIMS,
    )  # fmt: skip
    context["coverage"] = file_coverage(request, report.filters.practice)
    practice_ids = report.practice_ids | {c.practice_id for c in claims}
    name = _file_name(report.filters, practice_ids, "claims", ".pdf")
    return pdf_file("reports/aging_claims_pdf.html", context, name, practice_ids)


def claim_href(claim: ClaimAging) -> str:
    return record_url(claim.public_id, "claims:detail")
