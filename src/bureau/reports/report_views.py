"""What every report's views do, written once: read the question and run the report (or answer
400 naming what could not be read), audit what was read, then render the page or hand over the
CSV or PDF file.

A report module states only what is its own — its runner, templates, chart, CSV header and
rows — in a `ReportViews` of its family, and takes its three views from it. A family says once
for its members how a question is read, audited, put in context and named as a file:
`period_reports.PeriodViews` (a period of the book), `work_filters.WorkViews` (the work
reports), `month_window.WindowViews` (trends by month). The helpers below are what the families,
and the A/R aging views, share.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.directory.selectors import payer_list
from bureau.reports.charts import StackedBars
from bureau.reports.export import CSV_TYPE, PDF_TYPE, csv_text, pdf_bytes
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    ReportDownload,
    actor_of,
    file_practice_ids,
    page_actor_of,
    requires,
    serves_report,
)

C = Capability
# Figures by practice, payer, person or function — no claim, no patient: a summary export
# carries what the page needs (the aging summary's rule).
SUMMARY_CARRIES = frozenset({C.REPORTS_VIEW})

PageView = Callable[[HttpRequest], HttpResponse]


class Answer(Protocol):
    """A report's answer names the practices it read: audited, and what its file carries."""

    @property
    def practice_ids(self) -> frozenset[int]: ...


A = TypeVar("A", bound=Answer)


@dataclass(frozen=True, kw_only=True)
class ReportViews(ABC, Generic[A]):
    """One report's page and its CSV and PDF files. A report states its templates, chart, CSV
    header and rows; its family (a subclass) how the question is read and run, audited, put
    in context and named as a file."""

    template: str
    pdf_template: str
    chart: Callable[[A], StackedBars]  # heads the page and the PDF
    header: Sequence[str]
    rows: Callable[[A], Iterable[Sequence[Any]]]
    carries: frozenset[Capability] = SUMMARY_CARRIES
    export_detail: Mapping[str, Any] = field(default_factory=dict)  # audited beside `format`

    @abstractmethod
    def run(self, request: HttpRequest, use_context: bool) -> A | HttpResponse:
        """The answer to this request's question, or the 400 page naming what could not be
        read. `use_context`: whether the bar's practice counts (a page: yes; a file: no, its
        link names the practice it means)."""

    @abstractmethod
    def audit(self, actor: Actor, action: AuditAction, answer: A, /, **detail: Any) -> None:
        """Records that `answer` was read (`detail`: the level, or the file's format)."""

    @abstractmethod
    def context(self, actor: Actor, answer: A) -> dict[str, Any]:
        """The page's."""

    @abstractmethod
    def pdf_context(self, actor: Actor, answer: A) -> dict[str, Any]: ...

    @abstractmethod
    def file_name(self, answer: A, ext: str) -> str: ...

    def page_view(self) -> PageView:
        @require_safe
        @requires(C.REPORTS_VIEW)
        def page(request: HttpRequest) -> HttpResponse:
            answer = self.run(request, True)
            if isinstance(answer, HttpResponse):
                return answer
            actor = actor_of(request)
            self.audit(actor, AuditAction.REPORT_VIEWED, answer, level="page")
            return render(request, self.template, self.context(actor, answer))

        return page

    def exported(self, request: HttpRequest, fmt: str) -> A | HttpResponse:
        """The answer a file carries, audited as exported, or the 400 page."""
        answer = self.run(request, False)
        if not isinstance(answer, HttpResponse):
            actor = actor_of(request)
            self.audit(actor, AuditAction.REPORT_EXPORTED, answer, format=fmt, **self.export_detail)
        return answer

    def csv_view(self) -> PageView:
        @requires(C.REPORTS_VIEW)
        @serves_report(carries=self.carries)
        def csv(request: HttpRequest) -> ReportDownload | HttpResponse:
            answer = self.exported(request, "csv")
            if isinstance(answer, HttpResponse):
                return answer
            name = self.file_name(answer, ".csv")
            return csv_file(self.header, self.rows(answer), name, answer.practice_ids)

        return csv

    def pdf_view(self) -> PageView:
        @requires(C.REPORTS_VIEW)
        @serves_report(carries=self.carries)
        def pdf(request: HttpRequest) -> ReportDownload | HttpResponse:
            answer = self.exported(request, "pdf")
            if isinstance(answer, HttpResponse):
                return answer
            context = self.pdf_context(actor_of(request), answer)
            context["coverage"] = file_coverage(request, context["filters"].practice)
            name = self.file_name(answer, ".pdf")
            return pdf_file(self.pdf_template, context, name, answer.practice_ids)

        return pdf


# -- what the families share ---------------------------------------------------------------------
def form_context(actor: Actor) -> dict[str, Any]:
    """What a filter form needs: the payers and the practices the actor may report on."""
    return {
        "payers": payer_list(actor=actor).order_by("name"),
        "practices": actor.practices(C.REPORTS_VIEW),
    }


def refused(
    request: HttpRequest, template: str, errors: Sequence[str], **extra: Any
) -> HttpResponse:
    """The page with its form and what could not be read (400), no figures."""
    context = {"errors": list(errors), **form_context(actor_of(request)), **extra}
    return render(request, template, context, status=400)


def may_take(actor: Actor, carries: Iterable[Capability], practice: Practice | None) -> bool:
    """Whether a page about `practice` (None: every practice) offers a file carrying `carries`:
    one practice, when the actor may take that practice's whole files; every practice, when it
    may take some practice's (the file leaves the others out and says so). The export of a
    practice it may not take answers 404, so no link leads there."""
    exportable = file_practice_ids(actor, carries)
    return practice.pk in exportable if practice is not None else bool(exportable)


def limited_practices(actor: Actor, practice: Practice | None) -> list[Practice]:
    """The practices a page about `practice` (None: every practice) reads where the actor's
    reports.view is limited to some providers: their figures count only those providers'
    claims, and the page must say so (a figure that reads as the practice's would mislead)."""
    asked = [practice] if practice is not None else actor.practices(C.REPORTS_VIEW)
    return [p for p in asked if actor.provider_limited(p, C.REPORTS_VIEW)]


def export_links(
    actor: Actor, query: str, practice_ids: frozenset[int], *, practice: Practice | None
) -> dict[str, Any]:
    """The page's CSV and PDF links: shown only where the file may be taken (`may_take`: a link
    never answers 404), with a notice when the files leave some practices out, and the
    practices whose figures are partial (`limited_practices`)."""
    exportable = file_practice_ids(actor, SUMMARY_CARRIES)
    may_export = may_take(actor, SUMMARY_CARRIES, practice)
    return {
        "query": query,
        "may_export": may_export,
        "exports_partial": may_export and bool(practice_ids - exportable),
        "limited_practices": limited_practices(actor, practice),
    }


@dataclass(frozen=True)
class FileCoverage:
    """The practices a report file covers, as its heading names them, and those of the page it
    leaves out with why (a file covers only practices whose whole figures the reader may take:
    `serves_report`), so paper never claims more than it holds."""

    covered: tuple[str, ...]
    left_out: tuple[tuple[str, str], ...] = ()  # (practice, why)

    @property
    def heading(self) -> str:
        if len(self.covered) == 1:
            return self.covered[0]
        return f"{len(self.covered)} practices: {', '.join(self.covered)}"

    @property
    def note(self) -> str:
        """ "" when nothing is left out; else one sentence per reason."""
        reasons: dict[str, list[str]] = {}
        for name, why in self.left_out:
            reasons.setdefault(why, []).append(name)
        return " ".join(
            f"Not in this file: {', '.join(names)} ({why})." for why, names in reasons.items()
        )


LIMITED = "your access there is limited to some providers"
NOT_CARRIED = "your role there does not include everything this file carries"


def file_coverage(
    request: HttpRequest, practice: Practice | None, capability: Capability = C.REPORTS_VIEW
) -> FileCoverage:
    """What the file of this request covers: `practice` when one was asked for (the export
    answers 404 for one it may not take); else every practice its narrowed actor reports on,
    and the page's other practices as left out."""
    if practice is not None:
        return FileCoverage((practice.name,))
    file_actor = actor_of(request)
    page_actor = page_actor_of(request)
    left_out = tuple(
        (p.name, LIMITED if page_actor.provider_limited(p, capability) else NOT_CARRIED)
        for p in page_actor.practices(capability)
        if p.pk not in file_actor.access
    )
    covered = tuple(p.name for p in file_actor.practices(capability))
    return FileCoverage(covered, left_out)


def print_context(actor: Actor, filters: Any, **extra: Any) -> dict[str, Any]:
    """A PDF's shell: its filters, the workspace it heads with, and `pdf` (no links on paper)."""
    return {"filters": filters, "pdf": True, "workspace": actor.workspace, **extra}


def audit_report(
    actor: Actor,
    action: AuditAction,
    *,
    model: str,
    targets: Mapping[int, Sequence[str]],
    detail: dict[str, Any],
) -> None:
    """One event per practice in `targets` (practice id → the records shown there, none for
    figures), in its own atomic block: no event, no answer."""
    with transaction.atomic():
        audit_record_many(
            action=action,
            actor=actor,
            workspace=actor.workspace,
            model=model,
            targets=[(actor.access[pid].practice, list(targets[pid])) for pid in sorted(targets)],
            detail=detail,
        )


def cut_name(name: str, rows: int, total: int) -> str:
    """A file's name, saying when it carries only the first `rows` of `total` (an export is
    capped: the claims with the largest balances, a day's first events). A CSV has no place
    for a note that every reader sees and no parser trips on; its name does, so a cut file is
    never taken for the whole and its sums for the report's."""
    if total <= rows:
        return name
    stem, dot, ext = name.rpartition(".")
    return f"{stem}-first-{rows}-of-{total}{dot}{ext}"


def csv_file(
    header: Sequence[str], rows: Iterable[Sequence[Any]], name: str, practice_ids: Iterable[int]
) -> ReportDownload:
    return ReportDownload(
        csv_text(header, rows), name, frozenset(practice_ids), CSV_TYPE, (".csv",)
    )


def pdf_file(
    template: str, context: dict[str, Any], name: str, practice_ids: Iterable[int]
) -> ReportDownload:
    return ReportDownload(
        pdf_bytes(template, context), name, frozenset(practice_ids), PDF_TYPE, (".pdf",)
    )
