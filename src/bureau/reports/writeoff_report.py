"""Write-offs by reason: what the practice gave up on, why, and whether it is still given up.

A write-off request (billing) names a reason; approval — by a person, or automatically within
the practice's limit — posts one WRITE_OFF ledger entry per line, dated the day of the decision.
A request approved and later *taken back* (its claim was corrected: the replacement carries the
balance, and the original's WRITE_OFF entries are reversed) is no longer written off, so it is
counted apart, as are requests refused and requests still waiting. Over a period:

* approved  — status approved or auto-approved, decided in the period: dollars off the books;
* taken back — decided (approved) in the period, reversed since by a correction;
* refused   — decided in the period; pending — asked in the period, waiting now.

The ledger says the same: the WRITE_OFF entries posted in the period (reversals aside) are the
approved and taken-back requests decided in it, to the cent; the reversals are the take-backs,
on the day the correction was submitted. `ledger_check` reads both sides; the page shows it and
the tests hold it on the demo. Denial write-offs are the KPI's (`denial_writeoff_pct`): those
on claims that have a denial (`kpis.facts.denied`), read through the same scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from bureau.billing.models import (
    POSTED_STATUSES,
    WriteOffReason,
    WriteOffRequest,
    WriteOffStatus,
)
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.reports.aging import ZERO, money
from bureau.reports.kpis import compute, facts
from bureau.reports.kpis.registry import KpiValue
from bureau.reports.period_reports import PeriodFilters
from bureau.tenancy.actor import Actor

APPROVED = Q(status__in=sorted(POSTED_STATUSES))
TAKEN_BACK = Q(status=WriteOffStatus.TAKEN_BACK)
REFUSED = Q(status=WriteOffStatus.REFUSED)
PENDING = Q(status=WriteOffStatus.PENDING)
ON_DENIED = Q(claim_denied=True)
TALLIES = ("approved", "denial", "taken_back", "refused", "pending")


@dataclass
class Tally:
    count: int = 0
    amount: Decimal = ZERO

    def add(self, other: Tally) -> None:
        self.count += other.count
        self.amount += other.amount


@dataclass
class WriteOffRow:
    label: str  # the reason, the practice, or the total
    key: str  # WriteOffReason value, the practice's public id, or ""
    approved: Tally = field(default_factory=Tally)
    denial: Tally = field(default_factory=Tally)  # approved, on a claim that has a denial
    taken_back: Tally = field(default_factory=Tally)
    refused: Tally = field(default_factory=Tally)
    pending: Tally = field(default_factory=Tally)
    children: list[WriteOffRow] = field(default_factory=list)

    def add(self, other: WriteOffRow) -> None:
        for name in TALLIES:
            getattr(self, name).add(getattr(other, name))


@dataclass(frozen=True)
class LedgerCheck:
    """The period's WRITE_OFF entries on the ledger, beside the requests' side of them."""

    posted: Decimal  # −(entries that reverse nothing): dollars written off in the period
    reversed: Decimal  # the reversals' sum: dollars taken back in the period
    requests: Decimal  # approved + taken back, decided in the period

    @property
    def net(self) -> Decimal:
        return self.posted - self.reversed

    @property
    def holds(self) -> bool:
        return self.posted == self.requests


@dataclass
class WriteOffReport:
    filters: PeriodFilters
    book: WriteOffRow  # children: practices; theirs: reasons
    by_reason: list[WriteOffRow]  # the book's reasons across practices
    check: LedgerCheck
    denial_kpi: KpiValue
    practice_ids: frozenset[int] = field(default_factory=frozenset)


def _tally(count: int | None, amount: object) -> Tally:
    return Tally(count or 0, money(amount))


def writeoffs_by_reason(*, actor: Actor, filters: PeriodFilters) -> WriteOffReport:
    """The period's write-offs per practice and reason, and the ledger's side (caller audits)."""
    scope = filters.scope(actor)
    period = (filters.start, filters.end)
    decided = Q(decided_at__date__range=period)
    requests = (
        scope.rows(WriteOffRequest, "claim__payer")
        .filter(decided | (PENDING & Q(requested_at__date__range=period)))
        .annotate(claim_denied=facts.denied(scope, claim="claim_id"))
        .order_by()
        .values("practice_id", "reason")
    )
    sums: dict[str, Any] = {}
    for name, condition in (
        ("approved", APPROVED & decided),
        ("denial", APPROVED & decided & ON_DENIED),
        ("taken_back", TAKEN_BACK & decided),
        ("refused", REFUSED & decided),
        ("pending", PENDING),
    ):
        sums[f"{name}_n"] = Count("pk", filter=condition)
        sums[f"{name}_s"] = Sum("amount", filter=condition)
    labels = dict(WriteOffReason.choices)
    practices: dict[int, WriteOffRow] = {}
    reasons: dict[str, WriteOffRow] = {}
    for r in requests.annotate(**sums):
        practice = actor.access[r["practice_id"]].practice
        parent = practices.setdefault(
            r["practice_id"], WriteOffRow(practice.name, str(practice.public_id))
        )
        label = labels.get(r["reason"], r["reason"])
        row = WriteOffRow(label, r["reason"])
        for n in TALLIES:
            setattr(row, n, _tally(r[f"{n}_n"], r[f"{n}_s"]))
        parent.children.append(row)
        parent.add(row)
        reasons.setdefault(r["reason"], WriteOffRow(label, r["reason"])).add(row)
    book = WriteOffRow("All practices", "")
    for parent in sorted(practices.values(), key=lambda p: p.label.lower()):
        parent.children.sort(key=lambda c: (-c.approved.amount, c.label))
        book.children.append(parent)
        book.add(parent)
    return WriteOffReport(
        filters,
        book,
        sorted(reasons.values(), key=lambda c: (-c.approved.amount, c.label)),
        ledger_check(actor, filters, book),
        compute("denial_writeoff_pct", scope, "of_net_revenue"),
        frozenset(practices),
    )


def ledger_check(actor: Actor, filters: PeriodFilters, book: WriteOffRow) -> LedgerCheck:
    entries = (
        filters.scope(actor)
        .rows(LedgerEntry, "claim__payer")
        .filter(kind=EntryKind.WRITE_OFF, effective_date__range=(filters.start, filters.end))
    )
    sums = entries.aggregate(
        posted=Sum("amount", filter=Q(reverses__isnull=True)),
        reversed=Sum("amount", filter=Q(reverses__isnull=False)),
    )
    return LedgerCheck(
        -money(sums["posted"]),
        money(sums["reversed"]),
        book.approved.amount + book.taken_back.amount,
    )
