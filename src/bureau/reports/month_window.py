"""A trend report's period: whole calendar months ending at a chosen month.

`?month=2026-11&months=12` reads as "the twelve months December 2025 to November 2026". With no
month the window ends at the current month (to date), twelve months long. A month that cannot
be read is a message the page names (400), never a guess, as with every report filter
(`reports.filters`): the same quoting, the same earliest date, no future month.

The views of such a report (denials analytics, payer performance) are built here too
(`WindowViews`): its practice and payer are the aging report's filters, its period the window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse

from bureau.audit.models import AuditAction
from bureau.reports.filters import (
    EARLIEST,
    AgingBasis,
    PracticePayer,
    ReportFilters,
    _quoted,
    file_scope,
    parse_month_first,
    parse_practice_payer,
    report_today,
)
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

DEFAULT_MONTHS = 12
LONGEST_WINDOW = 36  # three years of monthly columns is as wide as a page can read
_COUNT = re.compile(r"[0-9]{1,3}", re.ASCII)


def first_of(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class MonthWindow:
    last: date  # the first day of the window's last month
    months: int = DEFAULT_MONTHS

    @property
    def firsts(self) -> list[date]:
        """The first day of each month, oldest first."""
        return [add_months(self.last, n) for n in range(1 - self.months, 1)]

    @property
    def start(self) -> date:
        return add_months(self.last, 1 - self.months)

    @property
    def end(self) -> date:
        """The window's last day (inclusive): the end of its last month."""
        return add_months(self.last, 1) - timedelta(days=1)

    @property
    def labels(self) -> list[str]:
        return [f"{m:%Y-%m}" for m in self.firsts]

    @property
    def title(self) -> str:
        if self.months == 1:
            return f"{self.last:%B %Y}"
        return f"{self.start:%b %Y} – {self.last:%b %Y} ({self.months} months)"


def parse_month_window(request: HttpRequest, today: date) -> tuple[MonthWindow, list[str]]:
    """The window asked for by `month` (YYYY-MM, its last month) and `months` (how many)."""
    errors: list[str] = []
    last = first_of(today)
    raw = request.GET.get("month", "").strip()
    if raw:
        parsed, error = parse_month_first(raw, today=today)
        if parsed is None:
            errors.append(error)
        else:
            last = parsed
    months = DEFAULT_MONTHS
    raw = request.GET.get("months", "").strip()
    if raw:
        if not _COUNT.fullmatch(raw) or not 1 <= int(raw) <= LONGEST_WINDOW:
            errors.append(
                f"Months {_quoted(raw)} is not a number of months from 1 to {LONGEST_WINDOW}."
            )
        else:
            months = int(raw)
    window = MonthWindow(last, months)
    if not errors and window.start < EARLIEST:
        errors.append(f"The period would start before {EARLIEST:%Y-%m}: ask for fewer months.")
    return window, errors


def window_query(filters: PracticePayer, window: MonthWindow, **extra: str) -> dict[str, str]:
    """The filters of a month-window report as query parameters (explicit about the practice,
    like `ReportFilters.query`, so a link means what the page showed)."""
    return filters.params({"month": f"{window.last:%Y-%m}", "months": str(window.months)}, extra)


# -- the views' plumbing (denials analytics, payer performance) ----------------------------------
WINDOW_CHOICES = (1, 3, 6, 12, 24, LONGEST_WINDOW)


class WindowAnswer(Answer, Protocol):
    @property
    def filters(self) -> ReportFilters: ...

    @property
    def window(self) -> MonthWindow: ...


W = TypeVar("W", bound=WindowAnswer)
W_out = TypeVar("W_out", bound=WindowAnswer, covariant=True)


class Runner(Protocol[W_out]):
    """A month-window report's runner, e.g. `denial_analytics`."""

    def __call__(self, *, actor: Actor, filters: ReportFilters, window: MonthWindow) -> W_out: ...


def read_window(
    request: HttpRequest, *, use_context: bool = True
) -> tuple[ReportFilters, MonthWindow, list[str]]:
    """The practice and payer (reports.filters) and the month window of this request. An
    as-of date or an aging basis carried over from the aging report means nothing here and
    is not read (it used to be, and a wrong one answered 400 on a report that never uses it)."""
    actor = actor_of(request)
    base, errors = parse_practice_payer(request, actor, C.REPORTS_VIEW, use_context=use_context)
    today = report_today(actor, base.practice)
    filters = ReportFilters(base.practice, base.payer, today, AgingBasis.SERVICE, tuple(errors))
    window, problems = parse_month_window(request, today)
    return filters, window, [*errors, *problems]


@dataclass(frozen=True, kw_only=True)
class WindowViews(ReportViews[W]):
    """A month-window report's page, CSV and PDF: `runner` answers; `name` is the audit events'
    `detail.report` and `model` what they name."""

    runner: Runner[W]
    name: str  # e.g. "denials"
    file_stem: str
    model: str

    def run(self, request: HttpRequest, use_context: bool) -> W | HttpResponse:
        filters, window, errors = read_window(request, use_context=use_context)
        if errors:
            return refused(
                request,
                self.template,
                errors,
                window_choices=WINDOW_CHOICES,
                filters=filters,
                window=window,
            )
        return self.runner(actor=actor_of(request), filters=filters, window=window)

    def audit(self, actor: Actor, action: AuditAction, answer: W, /, **detail: Any) -> None:
        """One event per practice the report read: figures only, so no record is named."""
        w = answer.window
        audit_report(
            actor,
            action,
            model=self.model,
            targets={pid: [] for pid in answer.practice_ids},
            detail={
                "report": self.name,
                "from": w.start.isoformat(),
                "to": w.end.isoformat(),
                "payer": answer.filters.payer_key,
                **detail,
            },
        )

    def context(self, actor: Actor, answer: W) -> dict[str, Any]:
        f, w = answer.filters, answer.window
        return {
            "report": answer,
            "filters": f,
            "window": w,
            "chart": self.chart(answer),
            **export_links(
                actor, urlencode(window_query(f, w)), answer.practice_ids, practice=f.practice
            ),
            **form_context(actor),
            "window_choices": WINDOW_CHOICES,
        }

    def pdf_context(self, actor: Actor, answer: W) -> dict[str, Any]:
        extra = {"report": answer, "window": answer.window, "chart": self.chart(answer)}
        return print_context(actor, answer.filters, **extra)

    def file_name(self, answer: W, ext: str) -> str:
        scope = file_scope(answer.filters.practice, answer.practice_ids)
        w = answer.window
        return f"{self.file_stem}-{scope}-{w.start:%Y-%m}-to-{w.last:%Y-%m}{ext}"
