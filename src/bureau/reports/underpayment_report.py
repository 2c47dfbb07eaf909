"""Underpayments against contract: ERA lines the payer allowed below the practice's contract.

One definition, the work queue's (`workqueues.rules.remits.UNDERPAID_LINE`): when an ERA posts,
each service line's contracted allowed amount (`ContractRate` for practice, payer, code and
modifier, × units) is stored as `EraLine.expected`, and the shortfall of the payer's allowed
amount below it — beyond the practice's tolerance — as `underpaid_by`; a payer's reversal
(CLP02 = 22) is no underpayment. The line's payer is the ERA's, else the claim's, as the work
item's. Lines count in the period of their ERA's payment date (BPR16).

expected  = the contract's allowed amount for the line;
allowed   = what the payer allowed: expected − shortfall (AMT*B6, else paid + patient share);
paid      = CLP/SVC paid on the line; shortfall = `underpaid_by`.

Claim rows (the drill) are claim data: read under claims.view, patient names masked without
patients.demographics (the aging report's rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Sum

from bureau.directory.selectors import payer_list
from bureau.remittance.models import EraLine
from bureau.reports.aging import ZERO, _as_date, _name_shown, claim_practice_ids, money
from bureau.reports.period_reports import PeriodFilters
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.workqueues.rules.remits import UNDERPAID_LINE, underpayment_payer

PAGE_CLAIMS = 200
EXPORT_CLAIMS = 10_000


@dataclass
class ShortRow:
    label: str
    public_id: str
    lines: int = 0
    claims: int = 0
    expected: Decimal = ZERO
    paid: Decimal = ZERO
    shortfall: Decimal = ZERO
    children: list[ShortRow] = field(default_factory=list)
    practice_public_id: str = ""  # a payer row's practice (its drill link)

    def add(self, other: ShortRow) -> None:
        self.lines += other.lines
        self.claims += other.claims
        self.expected += other.expected
        self.paid += other.paid
        self.shortfall += other.shortfall

    @property
    def allowed(self) -> Decimal:
        return self.expected - self.shortfall


@dataclass(frozen=True)
class ShortClaim:
    practice_id: int
    practice_name: str
    payer_name: str
    public_id: str
    number: str
    patient_account: str
    patient_name: str
    masked: bool
    date_of_service: Any
    lines: int
    expected: Decimal
    paid: Decimal
    shortfall: Decimal

    @property
    def allowed(self) -> Decimal:
        return self.expected - self.shortfall


@dataclass
class UnderpaymentReport:
    filters: PeriodFilters
    book: ShortRow  # children: practices; theirs: payers
    practice_ids: frozenset[int] = field(default_factory=frozenset)


def _lines(actor: Actor, filters: PeriodFilters, capability: Capability) -> Any:
    """The underpaid lines of the period the actor may read with `capability`."""
    lines = (
        EraLine.objects.visible_to(actor, capability)
        .filter(UNDERPAID_LINE)
        .filter(
            era_claim__era__payment_date__gte=filters.start,
            era_claim__era__payment_date__lte=filters.end,
        )
        .annotate(payer_ref=underpayment_payer())
        .order_by()
    )
    if filters.practice_id is not None:
        lines = lines.filter(practice_id=filters.practice_id)
    if filters.payer_id is not None:
        lines = lines.filter(payer_ref=filters.payer_id)
    return lines


SUMS = {
    "n_lines": Count("pk"),
    "n_claims": Count("era_claim__claim_id", distinct=True),
    "s_expected": Sum("expected"),
    "s_paid": Sum("paid"),
    "s_short": Sum("underpaid_by"),
}


def underpayments_by_payer(*, actor: Actor, filters: PeriodFilters) -> UnderpaymentReport:
    """Book → practice → payer totals of the period's underpaid lines (the caller audits)."""
    rows = _lines(actor, filters, Capability.REPORTS_VIEW).values("practice_id", "payer_ref")
    payers = {
        pk: (name, str(public_id))
        for pk, name, public_id in payer_list(actor=actor).values_list("pk", "name", "public_id")
    }
    practices: dict[int, ShortRow] = {}
    for r in rows.annotate(**SUMS):
        practice = actor.access[r["practice_id"]].practice
        parent = practices.setdefault(
            r["practice_id"], ShortRow(practice.name, str(practice.public_id))
        )
        name, public_id = payers.get(r["payer_ref"], ("(no payer)", ""))
        row = ShortRow(
            name, public_id, r["n_lines"], r["n_claims"], money(r["s_expected"]),
            money(r["s_paid"]), money(r["s_short"]), practice_public_id=parent.public_id,
        )  # fmt: skip
        parent.children.append(row)
        parent.add(row)
    book = ShortRow("All practices", "")
    for parent in sorted(practices.values(), key=lambda p: p.label.lower()):
        parent.children.sort(key=lambda c: (-c.shortfall, c.label))
        book.children.append(parent)
        book.add(parent)
    return UnderpaymentReport(filters, book, frozenset(practices))


def underpaid_claims(
    *, actor: Actor, filters: PeriodFilters, limit: int = PAGE_CLAIMS
) -> tuple[list[ShortClaim], int]:
    """The claims with underpaid lines under the filters, largest shortfall first, at most
    `limit`, and how many there are: read under claims.view in the practices the actor may also
    report on, names masked without demographics."""
    scope = claim_practice_ids(actor)
    lines = _lines(actor, filters, Capability.CLAIMS_VIEW).filter(
        practice_id__in=sorted(scope), era_claim__claim__isnull=False
    )
    grouped = lines.values(
        "practice_id",
        claim_ref=F("era_claim__claim_id"),
        number=F("era_claim__claim__number"),
        claim_public_id=F("era_claim__claim__public_id"),
        account=F("era_claim__claim__patient__account_number"),
        first=F("era_claim__claim__patient__first_name"),
        last=F("era_claim__claim__patient__last_name"),
        service=F("era_claim__claim__encounter__date_of_service"),
        payer_name=F("era_claim__claim__payer__name"),
    ).annotate(**SUMS)
    total = grouped.count()
    shown = []
    for r in grouped.order_by("-s_short", "number")[:limit]:
        name, masked = _name_shown(actor, r["practice_id"], r["first"], r["last"])
        shown.append(
            ShortClaim(
                practice_id=r["practice_id"],
                practice_name=actor.access[r["practice_id"]].practice.name,
                payer_name=r["payer_name"],
                public_id=str(r["claim_public_id"]),
                number=r["number"],
                patient_account=r["account"],
                patient_name=name,
                masked=masked,
                date_of_service=_as_date(r["service"]),
                lines=r["n_lines"],
                expected=money(r["s_expected"]),
                paid=money(r["s_paid"]),
                shortfall=money(r["s_short"]),
            )
        )
    return shown, total
