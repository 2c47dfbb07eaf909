"""What the period reports share: their filters (practice, payer, a period) and the plumbing of
their views (`PeriodViews`: the page, the 400 page, the audit event, the CSV and PDF files).

Payer and CPT mix, ERA posting volume, write-offs by reason and underpayments are questions
about a period of the book, where A/R aging asks about a day. They read the same practice and
payer filters as aging (`parse_practice_payer`: a foreign practice is the missing one's 404, an
unknown payer a message), and a period — `start` and `end`, both included, ISO dates, at most
three years — whose unreadable values are named on a 400 page, never a guess and never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse

from bureau.audit.models import AuditAction
from bureau.reports.filters import (
    EARLIEST,
    PracticePayer,
    file_scope,
    parse_date,
    parse_practice_payer,
    report_today,
)
from bureau.reports.kpis.scope import KpiScope
from bureau.reports.report_views import (
    Answer,
    ReportViews,
    audit_report,
    export_links,
    form_context,
    print_context,
    refused,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of

C = Capability
# A period is a question about the book, not a bulk export (the KPI dashboard's limit).
LONGEST = timedelta(days=3 * 366)


def default_start(end: date) -> date:
    """The first day of the month two months before `end`'s: the last full quarter and this
    month so far, the span an owner reviews with a client."""
    month = end.month - 2
    year = end.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


@dataclass(frozen=True)
class PeriodFilters(PracticePayer):
    """What a period report (or a work report) is asked for: the practice and payer, and a
    period from `start` to `end`, both included."""

    start: date
    end: date
    errors: tuple[str, ...] = field(default=())

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def scope(self, actor: Actor) -> KpiScope:
        """The KPIs' scope for these filters: every row read goes through `KpiScope.rows`."""
        return KpiScope(actor, self.start, self.end, self.practice_id, self.payer_id)

    def query(self, **extra: str) -> str:
        span = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        return urlencode(self.params(span, extra))

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    def detail(self) -> dict[str, str]:
        """What an audit event records of the question."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "payer": self.payer_key,
        }


def parse_period(
    request: HttpRequest,
    base: PracticePayer,
    errors: list[str],
    *,
    today: date,
    default_start: Callable[[date], date],
) -> PeriodFilters:
    """The period of this request beside its practice and payer (`base`, and what could not be
    read of them: `errors`). With no start, `default_start` of the end (today by default), but
    never before `EARLIEST`; an unreadable date is named, and the period is checked only once
    both dates are read."""
    get = request.GET
    end = today
    if get.get("end", "").strip():
        parsed, problem = parse_date(get["end"], name="Period end", today=today)
        end = parsed or today
        errors += [problem] if problem else []
    # A default never reaches before the reports' floor: `?end=2000-01-15` alone asks from
    # 2000-01-01 (clamped, not refused: the user wrote no start to correct).
    start = max(default_start(end), EARLIEST)
    if get.get("start", "").strip():
        parsed, problem = parse_date(get["start"], name="Period start", today=today)
        start = parsed or start
        errors += [problem] if problem else []
    if not errors and start > end:
        errors.append(f"The period starts ({start.isoformat()}) after it ends ({end.isoformat()}).")
    elif not errors and end - start > LONGEST:
        errors.append("A period is at most three years long.")
    return PeriodFilters(base.practice, base.payer, start, end, tuple(errors))


def parse_period_filters(
    request: HttpRequest, actor: Actor, *, use_context: bool = True, today: date | None = None
) -> PeriodFilters:
    """The filters of this request (a foreign or unknown practice raises Http404)."""
    base, errors = parse_practice_payer(request, actor, C.REPORTS_VIEW, use_context=use_context)
    today = today or report_today(actor, base.practice)
    return parse_period(request, base, errors, today=today, default_start=default_start)


# -- the views' plumbing -------------------------------------------------------------------------
class PeriodAnswer(Answer, Protocol):
    @property
    def filters(self) -> PeriodFilters: ...


P = TypeVar("P", bound=PeriodAnswer)
P_out = TypeVar("P_out", bound=PeriodAnswer, covariant=True)


class Runner(Protocol[P_out]):
    """A period (or work) report's runner, e.g. `payer_and_cpt_mix`, `productivity_report`."""

    def __call__(self, *, actor: Actor, filters: PeriodFilters) -> P_out: ...


@dataclass(frozen=True, kw_only=True)
class PeriodViews(ReportViews[P]):
    """A period report's page, CSV and PDF: `runner` answers; `name` is the audit events'
    `detail.report` and `model` what they name; `title` heads the page and the PDF."""

    runner: Runner[P]
    name: str  # e.g. "payer_cpt_mix"
    title: str
    file_stem: str
    model: str

    def run(self, request: HttpRequest, use_context: bool) -> P | HttpResponse:
        filters = parse_period_filters(request, actor_of(request), use_context=use_context)
        if filters.errors:
            return refused(
                request, self.template, filters.errors, title=self.title, filters=filters
            )
        return self.runner(actor=actor_of(request), filters=filters)

    def audit(self, actor: Actor, action: AuditAction, answer: P, /, **detail: Any) -> None:
        ids = answer.practice_ids
        audit_period(actor, action, self.name, answer.filters, ids, model=self.model, **detail)

    def context(self, actor: Actor, answer: P) -> dict[str, Any]:
        return {
            "title": self.title,
            "report": answer,
            "chart": self.chart(answer),
            **page_context(actor, answer.filters, answer.practice_ids),
        }

    def pdf_context(self, actor: Actor, answer: P) -> dict[str, Any]:
        extra = {"title": self.title, "report": answer, "chart": self.chart(answer)}
        return print_context(actor, answer.filters, **extra)

    def file_name(self, answer: P, ext: str, kind: str = "") -> str:
        f = answer.filters
        scope = file_scope(f.practice, answer.practice_ids)
        middle = f"-{kind}" if kind else ""
        return f"{self.file_stem}{middle}-{scope}-{f.start}-to-{f.end}{ext}"


def covered(actor: Actor, filters: PracticePayer) -> list[int]:
    """The practices a question covers: the one asked for, or every one the actor reports on."""
    return [filters.practice.pk] if filters.practice else sorted(actor.practice_ids(C.REPORTS_VIEW))


def audit_period(
    actor: Actor,
    action: AuditAction,
    name: str,
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
    ids: dict[int, list[str]] = {pid: [] for pid in [*covered(actor, filters), *practice_ids]}
    for pid, shown in (records or {}).items():
        ids.setdefault(pid, []).extend(shown)
    audit_report(
        actor,
        action,
        model=model,
        targets=ids,
        detail={"report": name, **filters.detail(), **detail},
    )


def page_context(
    actor: Actor, filters: PeriodFilters, practice_ids: frozenset[int]
) -> dict[str, Any]:
    """The page's filters, form and export links."""
    return {
        "filters": filters,
        **export_links(actor, filters.query(), practice_ids, practice=filters.practice),
        **form_context(actor),
    }
