"""What the period reports share: their filters (practice, payer, a period) and the plumbing of
their views (the 400 page, the audit event, the CSV and PDF downloads).

Payer and CPT mix, ERA posting volume, write-offs by reason and underpayments are questions
about a period of the book, where A/R aging asks about a day. They read the same practice and
payer filters as aging (`parse_report_filters`: a foreign practice is the missing one's 404, an
unknown payer a message), and a period — `start` and `end`, both included, ISO dates, at most
three years — whose unreadable values are named on a 400 page, never a guess and never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.directory.models import Payer
from bureau.directory.selectors import payer_list
from bureau.reports.export import CSV_TYPE, PDF_TYPE, csv_text, pdf_bytes
from bureau.reports.filters import parse_date, parse_report_filters
from bureau.reports.kpis.scope import KpiScope
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import ReportDownload, actor_of, file_practice_ids

C = Capability
SUMMARY_CARRIES = frozenset({C.REPORTS_VIEW})
# A period is a question about the book, not a bulk export (the KPI dashboard's limit).
LONGEST = timedelta(days=3 * 366)


def default_start(end: date) -> date:
    """The first day of the month two months before `end`'s: the last full quarter and this
    month so far, the span an owner reviews with a client."""
    month = end.month - 2
    year = end.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


@dataclass(frozen=True)
class PeriodFilters:
    """What a period report is asked for. `practice` None: every practice the actor may report
    on; `payer` None: every payer. The period runs from `start` to `end`, both included."""

    practice: Practice | None
    payer: Payer | None
    start: date
    end: date
    errors: tuple[str, ...] = field(default=())

    @property
    def practice_id(self) -> int | None:
        return self.practice.pk if self.practice is not None else None

    @property
    def payer_id(self) -> int | None:
        return self.payer.pk if self.payer is not None else None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def scope(self, actor: Actor) -> KpiScope:
        """The KPIs' scope for these filters: every row read goes through `KpiScope.rows`."""
        return KpiScope(actor, self.start, self.end, self.practice_id, self.payer_id)

    def query(self, **extra: str) -> str:
        """Explicit about the practice (`all`, not nothing): a link or an export means what the
        page showed whatever the bar says when it is followed."""
        params = {
            "practice": str(self.practice.public_id) if self.practice else "all",
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }
        if self.payer is not None:
            params["payer"] = str(self.payer.public_id)
        params.update({k: v for k, v in extra.items() if v})
        return urlencode(params)

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def parse_period_filters(
    request: HttpRequest, actor: Actor, *, use_context: bool = True, today: date | None = None
) -> PeriodFilters:
    """The filters of this request (a foreign or unknown practice raises Http404)."""
    today = today or timezone.localdate()
    base = parse_report_filters(request, actor, C.REPORTS_VIEW, use_context=use_context)
    errors = [e for e in base.errors if not e.startswith(("As-of date", "Aging basis"))]
    get = request.GET
    end = today
    if get.get("end", "").strip():
        parsed, problem = parse_date(get["end"], name="Period end", today=today)
        end = parsed or today
        errors += [problem] if problem else []
    start = default_start(end)
    if get.get("start", "").strip():
        parsed, problem = parse_date(get["start"], name="Period start", today=today)
        start = parsed or start
        errors += [problem] if problem else []
    if not errors and start > end:
        errors.append(f"The period starts ({start}) after it ends ({end}).")
    elif not errors and end - start > LONGEST:
        errors.append("A period is at most three years long.")
    return PeriodFilters(base.practice, base.payer, start, end, tuple(errors))


# -- the views' plumbing -------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    """One period report's names: audit `detail.report`, its page and files."""

    name: str  # audit detail, e.g. "payer_mix"
    title: str
    template: str
    pdf_template: str
    file_stem: str


def form_context(actor: Actor) -> dict[str, Any]:
    """What the filter form needs: the payers and the practices the actor may report on."""
    return {
        "payers": payer_list(actor=actor).order_by("name"),
        "practices": actor.practices(C.REPORTS_VIEW),
    }


def refused(request: HttpRequest, report: Report, errors: Sequence[str]) -> HttpResponse:
    """The page with its form and what could not be read (400), no figures."""
    context = {"errors": list(errors), "title": report.title, **form_context(actor_of(request))}
    return render(request, report.template, context, status=400)


def audit(
    actor: Actor,
    action: AuditAction,
    report: Report,
    filters: PeriodFilters,
    practice_ids: Iterable[int],
    *,
    model: str,
    records: Mapping[int, list[str]] | None = None,
    **detail: Any,
) -> None:
    """One event per practice the report covered — the one asked for, or every practice the
    actor reports on — whether or not it had figures (an empty answer is still an answer
    about the practice), naming the records it showed (claim rows)."""
    covered = [filters.practice.pk] if filters.practice else actor.practice_ids(C.REPORTS_VIEW)
    ids: dict[int, list[str]] = {pid: [] for pid in [*covered, *practice_ids]}
    for pid, shown in (records or {}).items():
        ids.setdefault(pid, []).extend(shown)
    with transaction.atomic():
        audit_record_many(
            action=action,
            actor=actor,
            workspace=actor.workspace,
            model=model,
            targets=[(actor.access[pid].practice, ids[pid]) for pid in sorted(ids)],
            detail={
                "report": report.name,
                "start": filters.start.isoformat(),
                "end": filters.end.isoformat(),
                "payer": str(filters.payer.public_id) if filters.payer else "",
                **detail,
            },
        )


def page_context(
    actor: Actor, filters: PeriodFilters, practice_ids: frozenset[int]
) -> dict[str, Any]:
    """The page's filters, form, export links (only where the actor may take every practice's
    figures: a link never answers 404)."""
    exportable = file_practice_ids(actor, SUMMARY_CARRIES)
    return {
        "filters": filters,
        "query": filters.query(),
        "may_export": bool(exportable),
        "exports_partial": bool(practice_ids - exportable),
        **form_context(actor),
    }


def file_name(report: Report, filters: PeriodFilters, ext: str, kind: str = "") -> str:
    scope = filters.practice.name if filters.practice else "book"
    middle = f"-{kind}" if kind else ""
    return f"{report.file_stem}{middle}-{scope}-{filters.start}-to-{filters.end}{ext}"


def csv_download(
    report: Report,
    filters: PeriodFilters,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    practice_ids: Iterable[int],
    kind: str = "",
) -> ReportDownload:
    return ReportDownload(
        csv_text(header, rows),
        file_name(report, filters, ".csv", kind),
        frozenset(practice_ids),
        CSV_TYPE,
        (".csv",),
    )


def pdf_download(
    report: Report,
    filters: PeriodFilters,
    context: dict[str, Any],
    practice_ids: Iterable[int],
    actor: Actor,
) -> ReportDownload:
    shell = {"filters": filters, "title": report.title, "pdf": True, "workspace": actor.workspace}
    context = {**shell, **context}
    return ReportDownload(
        pdf_bytes(report.pdf_template, context),
        file_name(report, filters, ".pdf"),
        frozenset(practice_ids),
        PDF_TYPE,
        (".pdf",),
    )


def read_filters(
    request: HttpRequest, report: Report, *, use_context: bool = True
) -> PeriodFilters | HttpResponse:
    """The filters, or the 400 page naming what is wrong with them."""
    filters = parse_period_filters(request, actor_of(request), use_context=use_context)
    if filters.errors:
        return refused(request, report, filters.errors)
    return filters
