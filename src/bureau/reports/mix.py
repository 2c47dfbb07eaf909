"""Payer mix and CPT mix: where a practice's charges and payments come from, over a period.

Money comes from the ledger only, by effective date (charges: the day the claim was first
submitted; payments: the ERA's payment date), so a mix total is a plain ledger sum:

* charges  = CHARGE entries in the period. A corrected claim's charges are reversed when its
  replacement is submitted (a negative CHARGE): the book counts each dollar billed once;
* payments = −(PAYMENT + REFUND entries) in the period: insurance payments net of take-backs
  (Bureau records no patient payment);
* claims   = distinct claims charged in the period (a replacement is a claim of its own);
* units    = units of the lines charged in the period, a reversed charge taking its units back;
* paid per unit = payments in the period ÷ the units of the lines those payments paid.

The payer is the claim's payer. Each read goes through `KpiScope.rows` (the actor's scoped
ledger, practice and provider grant), aggregated in the database, grouped by practice so the
caller knows which practices it read (audited).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, Exists, F, OuterRef, Q, Sum, When

from bureau.claims.models import ClaimLine
from bureau.directory.selectors import payer_list
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.reports.aging import ZERO, money
from bureau.reports.period_reports import PeriodFilters
from bureau.tenancy.actor import Actor

CHARGE = Q(kind=EntryKind.CHARGE)
CASH = Q(kind__in=(EntryKind.PAYMENT, EntryKind.REFUND))
UNITS_PLACES = Decimal("0.001")


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    """`part` as a percent of `whole`, one place; None when there is no whole."""
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class MixRow:
    label: str  # the payer's name, or the procedure code
    key: str  # the payer's public id, or the code
    claims: int = 0
    charges: Decimal = ZERO
    payments: Decimal = ZERO
    units: Decimal = ZERO
    paid_units: Decimal = ZERO
    charge_share: Decimal | None = None
    payment_share: Decimal | None = None

    def add(self, other: MixRow) -> None:
        self.claims += other.claims
        self.charges += other.charges
        self.payments += other.payments
        self.units += other.units
        self.paid_units += other.paid_units

    @property
    def paid_per_unit(self) -> Decimal | None:
        if not self.paid_units:
            return None
        return (self.payments / self.paid_units).quantize(Decimal("0.01"))


@dataclass
class MixReport:
    filters: PeriodFilters
    payers: list[MixRow]
    codes: list[MixRow]
    total: MixRow  # the book (or the practice): claims, charges, payments
    practice_ids: frozenset[int] = field(default_factory=frozenset)


def _entries(actor: Actor, filters: PeriodFilters) -> Any:
    scope = filters.scope(actor)
    return (
        scope.rows(LedgerEntry, "claim__payer")
        .filter(effective_date__gte=filters.start, effective_date__lte=filters.end)
        .order_by()
    )


def _units(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(UNITS_PLACES)


def _shares(rows: list[MixRow], total: MixRow) -> list[MixRow]:
    for row in rows:
        row.charge_share = share(row.charges, total.charges)
        row.payment_share = share(row.payments, total.payments)
    return sorted(rows, key=lambda r: (-r.charges, -r.payments, r.label))


def payer_and_cpt_mix(*, actor: Actor, filters: PeriodFilters) -> MixReport:
    """The payer mix and the CPT mix of the filters' period (the caller audits the read)."""
    entries = _entries(actor, filters)
    sums = {
        "charges": Sum("amount", filter=CHARGE),
        "payments": Sum("amount", filter=CASH),
        "claims": Count("claim_id", filter=CHARGE & Q(reverses__isnull=True), distinct=True),
    }
    by_payer = entries.values("practice_id", "claim__payer_id").annotate(**sums)
    payer_names = {
        pk: (name, str(public_id))
        for pk, name, public_id in payer_list(actor=actor).values_list("pk", "name", "public_id")
    }
    payers: dict[int, MixRow] = {}
    total = MixRow("Total", "")
    practice_ids: set[int] = set()
    for r in by_payer:
        practice_ids.add(r["practice_id"])
        name, public_id = payer_names.get(r["claim__payer_id"], ("(no payer)", ""))
        row = MixRow(name, public_id, r["claims"], money(r["charges"]), -money(r["payments"]))
        payers.setdefault(r["claim__payer_id"], MixRow(name, public_id)).add(row)
        total.add(row)
    # A claim charged in two practices' rows cannot be: practices never share a claim, so the
    # total's claim count is the sum of its rows' counts.
    signed_units = Case(
        When(reverses__isnull=True, then=F("claim_line__units")),
        default=-F("claim_line__units"),
        output_field=DecimalField(max_digits=12, decimal_places=3),
    )
    by_code = entries.values("practice_id", code=F("claim_line__procedure_code")).annotate(
        **sums, units=Sum(signed_units, filter=CHARGE)
    )
    codes: dict[str, MixRow] = {}
    for r in by_code:
        practice_ids.add(r["practice_id"])
        row = MixRow(
            r["code"],
            r["code"],
            r["claims"],
            money(r["charges"]),
            -money(r["payments"]),
            _units(r["units"]),
        )
        codes.setdefault(r["code"], MixRow(r["code"], r["code"])).add(row)
    for code, paid_units in _paid_units(actor, filters).items():
        codes.setdefault(code, MixRow(code, code)).paid_units = paid_units
    return MixReport(
        filters,
        _shares(list(payers.values()), total),
        _shares(list(codes.values()), total),
        total,
        frozenset(practice_ids),
    )


def _paid_units(actor: Actor, filters: PeriodFilters) -> dict[str, Decimal]:
    """Per code, the units of the lines a payment (or refund) of the period touched: each line
    once, however many payments it had."""
    paid = _entries(actor, filters).filter(CASH, claim_line_id=OuterRef("pk"))
    lines = (
        filters.scope(actor)
        .rows(ClaimLine, "claim__payer")
        .filter(Exists(paid))
        .order_by()
        .values("procedure_code")
        .annotate(units=Sum("units"))
    )
    return {r["procedure_code"]: _units(r["units"]) for r in lines}
