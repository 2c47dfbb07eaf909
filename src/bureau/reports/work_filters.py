"""The filters and the views' plumbing of the work reports (productivity, SLA).

Their question is the period reports' (`PeriodFilters`: practice, payer and a period, read by
the same `parse_period`), with what is the work reports' own: the period defaults to the last
thirty days, not a quarter; an unreadable as-of date or aging basis is named too (they read
`parse_report_filters` whole); and the 400 page keeps the form filled in. Their audit events
name the practices that had work in the period — or, when none had, those the question covered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

from bureau.audit.models import AuditAction
from bureau.reports.filters import file_scope, parse_report_filters, report_today
from bureau.reports.period_reports import (
    PeriodAnswer,
    PeriodFilters,
    Runner,
    covered,
    page_context,
    parse_period,
)
from bureau.reports.report_views import ReportViews, audit_report, print_context, refused
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of

C = Capability
DEFAULT_DAYS = 30  # a month of work, ending today
MODEL = "workqueues.WorkItem"


def parse_work_filters(
    request: HttpRequest,
    actor: Actor,
    capability: Capability,
    *,
    use_context: bool = True,
    today: date | None = None,
) -> PeriodFilters:
    """The filters of this request (a foreign or unknown practice raises Http404)."""
    base = parse_report_filters(request, actor, capability, use_context=use_context, today=today)
    today = today or report_today(actor, base.practice)
    filters = parse_period(
        request,
        base,
        list(base.errors),
        today=today,
        default_start=lambda end: end - timedelta(days=DEFAULT_DAYS - 1),
    )
    if filters.errors:  # the 400 page's form shows the period: never one that ends first
        filters = replace(filters, start=min(filters.start, filters.end))
    return filters


W = TypeVar("W", bound=PeriodAnswer)


@dataclass(frozen=True, kw_only=True)
class WorkViews(ReportViews[W]):
    """A work report's page, CSV and PDF: `runner` answers; `name` is the audit events'
    `detail.report`."""

    runner: Runner[W]
    name: str  # e.g. "productivity"
    file_stem: str

    def run(self, request: HttpRequest, use_context: bool) -> W | HttpResponse:
        actor = actor_of(request)
        filters = parse_work_filters(request, actor, C.REPORTS_VIEW, use_context=use_context)
        if filters.errors:
            return refused(request, self.template, filters.errors, filters=filters)
        return self.runner(actor=actor, filters=filters)

    def audit(self, actor: Actor, action: AuditAction, answer: W, /, **detail: Any) -> None:
        """Figures only: no record is named. Every practice asked about is read, those with
        no item too: the page and the PDF heading name them all ("nothing due" is a figure)."""
        read = answer.practice_ids | set(covered(actor, answer.filters))
        audit_report(
            actor,
            action,
            model=MODEL,
            targets={pid: [] for pid in read},
            detail={"report": self.name, **answer.filters.detail(), **detail},
        )

    def context(self, actor: Actor, answer: W) -> dict[str, Any]:
        extra = {"report": answer, "chart": self.chart(answer)}
        return page_context(actor, answer.filters, answer.practice_ids) | extra

    def pdf_context(self, actor: Actor, answer: W) -> dict[str, Any]:
        return print_context(actor, answer.filters, report=answer, chart=self.chart(answer))

    def file_name(self, answer: W, ext: str) -> str:
        f = answer.filters
        scope = file_scope(f.practice, answer.practice_ids)
        return f"{self.file_stem}-{scope}-{f.start.isoformat()}-{f.end.isoformat()}{ext}"
