"""The SLA report: for each work-queue function in each practice, over a period — items
opened, closed within their SLA, closed late, still open past their SLA, and compliance.

Compliance is the SLA compliance KPI's rule, counted by its own code (`kpis.work.sla_tally`):
items closed in the period on or before their SLA due date ÷ items closed in the period; the
KPI's second variant adds to the denominator the items still open whose SLA fell due in the
period. "Open past SLA" is those items whose due date has passed today: breached now.

The practice's own clock — questions the billing company asked the practice, due back in
`practice_questions.sla_days` business days — is a row of its own ("Waiting on the practice"),
never added to the billing company's totals: a practice answering late is not the vendor's
breach, and the vendor's SLA on the item keeps running meanwhile (workqueues.questions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from bureau.reports.kpis import REGISTRY
from bureau.reports.kpis.facts import in_period
from bureau.reports.kpis.registry import Variant, value_of
from bureau.reports.kpis.scope import KpiScope
from bureau.reports.kpis.work import sla_tally
from bureau.reports.period_reports import PeriodFilters
from bureau.tenancy.actor import Actor
from bureau.workqueues.functions import Function
from bureau.workqueues.models import ItemStatus, PracticeQuestion, WorkItem

REPORT = "sla"
KPI = "sla_compliance"
QUESTIONS = "practice_questions"
QUESTIONS_LABEL = "Waiting on the practice (practice's answers)"


def _variant(key: str) -> Variant:
    return next(v for v in REGISTRY[KPI].definition.variants if v.key == key)


@dataclass
class SlaLine:
    """One row: a function in a practice, a practice, a function across the book, the book."""

    label: str
    key: str = ""  # the function (or QUESTIONS); "" for a total
    opened: int = 0
    closed: int = 0
    on_time: int = 0
    open_due: int = 0  # still open, SLA due in the period
    breached_now: int = 0  # of those, due before today

    def add(self, other: SlaLine) -> None:
        self.opened += other.opened
        self.closed += other.closed
        self.on_time += other.on_time
        self.open_due += other.open_due
        self.breached_now += other.breached_now

    @property
    def late(self) -> int:
        return self.closed - self.on_time

    @property
    def compliance(self) -> Decimal | None:
        """The KPI's default variant: on time ÷ closed, in percent."""
        return value_of(KPI, _variant("closed_items"), self.on_time, self.closed).value

    @property
    def compliance_with_open(self) -> Decimal | None:
        """The KPI's second variant: on time ÷ (closed + open items due in the period)."""
        counted = self.closed + self.open_due
        return value_of(KPI, _variant("with_open_breaches"), self.on_time, counted).value

    @property
    def empty(self) -> bool:
        return not (self.opened or self.closed or self.open_due)


@dataclass
class PracticeSla:
    name: str
    public_id: str
    total: SlaLine
    functions: list[SlaLine] = field(default_factory=list)
    questions: SlaLine | None = None


@dataclass(frozen=True)
class SlaReport:
    filters: PeriodFilters
    today: date
    practices: list[PracticeSla]
    functions: list[SlaLine]  # each function across the practices shown
    book: SlaLine
    questions: SlaLine | None  # the practices' clock across the book
    practice_ids: frozenset[int]


def _function_lines(scope: KpiScope, today: date) -> dict[tuple[int, str], SlaLine]:
    labels = dict(Function.choices)
    lines: dict[tuple[int, str], SlaLine] = {}

    def line(practice_id: int, function: str) -> SlaLine:
        key = (practice_id, function)
        return lines.setdefault(key, SlaLine(str(labels.get(function, function)), function))

    for row in sla_tally(scope, ("practice_id", "function")):
        found = line(row["practice_id"], row["function"])
        found.closed, found.on_time, found.open_due = row["closed"], row["on_time"], row["open_due"]
    opened = in_period(scope, "opened_on")
    breached = ~Q(status=ItemStatus.DONE) & in_period(scope, "sla_due") & Q(sla_due__lt=today)
    for row in (
        scope.rows(WorkItem, "payer")
        .filter(opened | breached)
        .values("practice_id", "function")
        .annotate(opened=Count("pk", filter=opened), breached=Count("pk", filter=breached))
        .order_by()
    ):
        found = line(row["practice_id"], row["function"])
        found.opened, found.breached_now = row["opened"], row["breached"]
    return lines


def _question_lines(scope: KpiScope, today: date) -> dict[int, SlaLine]:
    """The practice's clock, per practice: questions asked in the period, answered in it (on
    time: on or before the day the answer was due), unanswered past their due day."""
    asked = in_period(scope, "asked_at__date")
    answered = Q(answered_at__isnull=False) & in_period(scope, "answered_at__date")
    waiting = Q(answered_at__isnull=True) & in_period(scope, "practice_due")
    rows = (
        scope.rows(PracticeQuestion, "item__payer")
        .filter(asked | answered | waiting)
        .annotate(answered_on=TruncDate("answered_at"))
        .values("practice_id")
        .annotate(
            opened=Count("pk", filter=asked),
            closed=Count("pk", filter=answered),
            on_time=Count("pk", filter=answered & Q(answered_on__lte=F("practice_due"))),
            open_due=Count("pk", filter=waiting),
            breached=Count("pk", filter=waiting & Q(practice_due__lt=today)),
        )
        .order_by()
    )
    return {
        r["practice_id"]: SlaLine(
            QUESTIONS_LABEL,
            QUESTIONS,
            r["opened"],
            r["closed"],
            r["on_time"],
            r["open_due"],
            r["breached"],
        )
        for r in rows
    }


def sla_report(*, actor: Actor, filters: PeriodFilters, today: date | None = None) -> SlaReport:
    """The report over the actor's scoped work items and questions (practice and provider
    grant, RLS on PostgreSQL); the caller audits the read."""
    today = today or timezone.localdate()
    scope = filters.scope(actor)
    lines = _function_lines(scope, today)
    questions = _question_lines(scope, today)
    order = {f.value: n for n, f in enumerate(Function)}
    by_practice: dict[int, PracticeSla] = {}

    def group(practice_id: int) -> PracticeSla:
        practice = actor.access[practice_id].practice
        return by_practice.setdefault(
            practice_id,
            PracticeSla(practice.name, str(practice.public_id), SlaLine("All functions")),
        )

    by_function: dict[str, SlaLine] = {}
    for (practice_id, function), line in sorted(
        lines.items(), key=lambda kv: order.get(kv[0][1], 99)
    ):
        found = group(practice_id)
        found.functions.append(line)
        found.total.add(line)
        by_function.setdefault(function, SlaLine(line.label, function)).add(line)
    book_questions = SlaLine(QUESTIONS_LABEL, QUESTIONS) if questions else None
    for practice_id, line in questions.items():
        group(practice_id).questions = line
        if book_questions is not None:
            book_questions.add(line)
    book = SlaLine("All functions")
    for line in by_function.values():
        book.add(line)
    practices = sorted(by_practice.values(), key=lambda p: p.name.lower())
    return SlaReport(
        filters,
        today,
        practices,
        list(by_function.values()),
        book,
        book_questions,
        frozenset(by_practice),
    )
