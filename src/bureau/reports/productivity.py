"""Productivity by user × practice: work items each person closed, the dollars at stake on
them and the follow-up attempts they logged, per practice and across the book, over a period.

Counted by the productivity KPI's own code (`kpis.work.productivity_tally`, grouped by person
and practice): the report and the KPI cannot disagree. "Per day" is per business day of the
period (weekends and the workspace's holidays skipped), for each person active in it — Bureau
records no hours worked, so a person's day is a business day, as the KPI's definition says. A
subtotal's per-day figure is per person-day: its figure ÷ (people active × business days).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from bureau.reports.kpis.registry import ZERO, Unit, ratio
from bureau.reports.kpis.work import PersonWork, business_days, productivity_tally
from bureau.reports.period_reports import PeriodFilters
from bureau.tenancy.actor import Actor

REPORT = "productivity"


@dataclass
class WorkLine:
    """One row: a person (in a practice, or across the book), a practice, or the book."""

    label: str
    days: int  # business days in the period
    people: int = 1  # people the line sums (a person's own line: 1)
    items: int = 0
    dollars: Decimal = ZERO
    attempts: int = 0
    user_id: int = 0  # a person's line: who (two people may share a name)

    def add(self, other: WorkLine | PersonWork) -> None:
        self.items += other.items
        self.dollars += other.dollars
        self.attempts += other.attempts

    @property
    def person_days(self) -> Decimal:
        return Decimal(self.people * self.days)

    @property
    def items_per_day(self) -> Decimal | None:
        return ratio(Decimal(self.items), self.person_days, Unit.COUNT)

    @property
    def dollars_per_day(self) -> Decimal | None:
        return ratio(self.dollars, self.person_days, Unit.DOLLARS)

    @property
    def attempts_per_day(self) -> Decimal | None:
        return ratio(Decimal(self.attempts), self.person_days, Unit.COUNT)


@dataclass
class PracticeWork:
    name: str
    public_id: str
    total: WorkLine
    people: list[WorkLine] = field(default_factory=list)


@dataclass(frozen=True)
class ProductivityReport:
    filters: PeriodFilters
    days: int
    practices: list[PracticeWork]  # each with its people
    people: list[WorkLine]  # each person across the practices shown
    book: WorkLine
    practice_ids: frozenset[int]  # the practices the report read (audited)


def productivity_report(*, actor: Actor, filters: PeriodFilters) -> ProductivityReport:
    """The report over the actor's scoped work items and attempts (practice and provider
    grant, RLS on PostgreSQL); the caller audits the read."""
    scope = filters.scope(actor)
    days = business_days(scope)
    tally = productivity_tally(scope, per_practice=True)
    by_practice: dict[int, PracticeWork] = {}
    by_person: dict[int, WorkLine] = {}
    for work in tally:
        if work.practice_id is None:
            continue  # never: tallied per practice
        practice = actor.access[work.practice_id].practice
        group = by_practice.setdefault(
            work.practice_id,
            PracticeWork(practice.name, str(practice.public_id), WorkLine(practice.name, days, 0)),
        )
        line = WorkLine(work.name, days, user_id=work.user_id)
        line.add(work)
        group.people.append(line)
        group.total.add(work)
        group.total.people += 1
        person = by_person.setdefault(work.user_id, WorkLine(work.name, days, user_id=work.user_id))
        person.add(work)
    book = WorkLine("All practices", days, len(by_person))
    for person in by_person.values():
        book.add(person)
    practices = sorted(by_practice.values(), key=lambda p: p.name.lower())
    people = sorted(by_person.values(), key=lambda p: p.label.lower())
    return ProductivityReport(filters, days, practices, people, book, frozenset(by_practice))
