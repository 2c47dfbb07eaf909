"""Payer performance: how fast each payer answers and pays, how often it denies, how often it
pays below the contract — per payer, and per practice and payer.

Every measure is a KPI already defined in the registry (`reports.kpis`), computed here for all
payers at once: the same facts (`kpis.facts`), the same claims, the same period basis, grouped
by practice and payer in one query per measure instead of one `KpiScope(payer_id=…)` per payer.
The tests hold each payer's figure equal to the registry's over `KpiScope(payer_id=…)`.

- Days to first 835: first submission → the first 835 that answered the claim (paid or not),
  for original claims first answered in the period (`facts.first_submitted`,
  `facts.first_adjudicated`).
- Days to pay: the registry's `days_to_pay` (first submission → first 835 that paid it).
- Initial denial rate: the registry's `initial_denial_rate` by count (claims denied on their
  first 835 ÷ claims first adjudicated in the period).
- First-pass rate: the registry's `first_pass_resolution` (no rejection, no denial, no
  corrected claim ÷ claims first adjudicated in the period).
- Underpayments: the work queue's rule (`workqueues.rules.remits.underpayments`): an 835 line
  whose `underpaid_by` is above zero — the payer's allowed fell short of the contract rate
  (`directory.ContractRate`, `remittance.underpayments`) beyond the practice's tolerance — on a
  claim loop that is not a reversal (CLP02 22). The rate is underpaid lines ÷ lines with a
  contract rate (an expected amount), on 835s paid in the period; the payer is the ERA's, else
  the claim's, as on the work item.
- Denied dollars: the denials report's (`denial_report`), denials dated in the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from bureau.denials.models import Denial
from bureau.directory.selectors import payer_list
from bureau.remittance.models import EraLine
from bureau.reports.aging import ZERO, money
from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.denial_report import CATEGORY_PALETTE, recolour, report_practice_ids
from bureau.reports.filters import ReportFilters, chart_scope
from bureau.reports.kpis import facts
from bureau.reports.kpis.registry import Unit, ratio
from bureau.reports.kpis.scope import KpiScope
from bureau.reports.month_window import MonthWindow
from bureau.tenancy.actor import Actor
from bureau.workqueues.rules.remits import UNDERPAID_LINE, underpayment_payer

REPORT = "payers"
REVERSAL = "22"  # CLP02: the payer takes back an earlier payment; not an underpayment
Key = tuple[int, int]  # practice id, payer id


@dataclass
class PayerFigures:
    """Numerators and denominators, so rows add up and every rate is recomputed from sums."""

    adjudicated: int = 0  # original claims first answered by an 835 in the period
    initially_denied: int = 0
    first_pass: int = 0
    answer_days: int = 0
    answered: int = 0  # claims timed to their first 835 (a first submission on record)
    pay_days: int = 0
    paid: int = 0  # claims first paid in the period
    contracted_lines: int = 0
    underpaid_lines: int = 0
    underpaid: Decimal = ZERO
    denials: int = 0
    denied: Decimal = ZERO

    def add(self, other: PayerFigures) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def days_to_answer(self) -> Decimal | None:
        return ratio(Decimal(self.answer_days), Decimal(self.answered), Unit.DAYS)

    @property
    def days_to_pay(self) -> Decimal | None:
        return ratio(Decimal(self.pay_days), Decimal(self.paid), Unit.DAYS)

    @property
    def initial_denial_rate(self) -> Decimal | None:
        return ratio(Decimal(self.initially_denied), Decimal(self.adjudicated), Unit.PERCENT)

    @property
    def first_pass_rate(self) -> Decimal | None:
        return ratio(Decimal(self.first_pass), Decimal(self.adjudicated), Unit.PERCENT)

    @property
    def underpayment_rate(self) -> Decimal | None:
        return ratio(Decimal(self.underpaid_lines), Decimal(self.contracted_lines), Unit.PERCENT)


@dataclass
class PayerRow:
    label: str
    public_id: str
    figures: PayerFigures = field(default_factory=PayerFigures)


@dataclass
class PracticeBlock:
    label: str
    public_id: str
    payers: list[PayerRow]
    figures: PayerFigures = field(default_factory=PayerFigures)
    drill: str = ""  # the page narrowed to this practice (set by the page)


@dataclass(frozen=True)
class PayerReport:
    filters: ReportFilters
    window: MonthWindow
    payers: list[PayerRow]  # every practice together, by payer
    practices: list[PracticeBlock]  # practice × payer
    total: PayerFigures
    practice_ids: frozenset[int]  # the practices the report read (audited)


# -- one grouped query per measure ---------------------------------------------------------------
def _adjudication(scope: KpiScope, into: dict[Key, PayerFigures]) -> None:
    """Initial denials and first-pass resolution over the same claims (first 835 in period)."""
    # Denied on its first 835's day (the claim's first 835 is in the period, so is the denial).
    initially = Exists(
        scope.rows(Denial, None).filter(
            facts.first_adjudicated_on("denied_on"), claim_id=OuterRef("pk")
        )
    )
    rows = (
        facts.original_claims(scope)
        .filter(facts.first_adjudicated_in_period(scope))
        .annotate(
            was_rejected=facts.rejected(scope),
            was_denied=facts.denied(scope),
            was_corrected=facts.corrected(scope),
            initially_denied=initially,
        )
        .order_by()
        .values("practice_id", "payer_id")
        .annotate(
            n=Count("pk"),
            denied=Count("pk", filter=Q(initially_denied=True)),
            resolved=Count(
                "pk", filter=Q(was_rejected=False, was_denied=False, was_corrected=False)
            ),
        )
    )
    for row in rows:
        figures = into[(row["practice_id"], row["payer_id"])]
        figures.adjudicated += row["n"]
        figures.initially_denied += row["denied"]
        figures.first_pass += row["resolved"]


def _turnaround(scope: KpiScope, into: dict[Key, PayerFigures], *, paid_only: bool) -> None:
    """Days from first submission to the first 835 (that paid, when `paid_only`), grouped by
    date pairs as `kpis.claims.days_to_pay` does, so the day arithmetic stays portable."""
    pairs = (
        facts.original_claims(scope)
        .filter(facts.first_adjudicated_in_period(scope, paid_only=paid_only))
        .annotate(
            answered_on=facts.first_adjudicated(paid_only=paid_only),
            submitted_on=facts.first_submitted(),
        )
        .filter(submitted_on__isnull=False)
        .order_by()
        .values("practice_id", "payer_id", "answered_on", "submitted_on")
        .annotate(n=Count("pk"))
    )
    for pair in pairs:
        figures = into[(pair["practice_id"], pair["payer_id"])]
        days = (pair["answered_on"] - pair["submitted_on"]).days * pair["n"]
        if paid_only:
            figures.pay_days += days
            figures.paid += pair["n"]
        else:
            figures.answer_days += days
            figures.answered += pair["n"]


def underpaid_lines(scope: KpiScope) -> Any:
    """The 835 lines of the period with their payer (`payer_ref`), reversals left out."""
    lines = (
        scope.rows(EraLine, None)
        .filter(facts.era_in_period(scope, "era_claim__era"))
        .exclude(era_claim__status_code=REVERSAL)
        .annotate(payer_ref=underpayment_payer())
    )
    if scope.payer_id is not None:
        lines = lines.filter(payer_ref=scope.payer_id)
    return lines.order_by()


def _underpayments(scope: KpiScope, into: dict[Key, PayerFigures]) -> None:
    rows = (
        underpaid_lines(scope)
        .filter(expected__isnull=False)
        .values("practice_id", "payer_ref")
        .annotate(
            n=Count("pk"),
            # The work queue's one condition (its items and this rate count the same lines).
            under=Count("pk", filter=UNDERPAID_LINE),
            dollars=Sum("underpaid_by", filter=UNDERPAID_LINE),
        )
    )
    for row in rows:
        if row["payer_ref"] is None:
            continue  # an unmatched loop of an unknown payer: no payer to score
        figures = into[(row["practice_id"], row["payer_ref"])]
        figures.contracted_lines += row["n"]
        figures.underpaid_lines += row["under"]
        figures.underpaid += money(row["dollars"])


def _denied(scope: KpiScope, into: dict[Key, PayerFigures]) -> None:
    rows = (
        scope.rows(Denial, "claim__payer")
        .filter(denied_on__gte=scope.start, denied_on__lte=scope.end)
        .order_by()
        .values("practice_id", payer_ref=F("claim__payer_id"))
        .annotate(n=Count("pk"), dollars=Sum("amount"))
    )
    for row in rows:
        figures = into[(row["practice_id"], row["payer_ref"])]
        figures.denials += row["n"]
        figures.denied += money(row["dollars"])


def payer_performance(*, actor: Actor, filters: ReportFilters, window: MonthWindow) -> PayerReport:
    """The report under the filters (the caller audits the read)."""
    scope = KpiScope(actor, window.start, window.end, filters.practice_id, filters.payer_id)
    cells: dict[Key, PayerFigures] = defaultdict(PayerFigures)
    _adjudication(scope, cells)
    _turnaround(scope, cells, paid_only=False)
    _turnaround(scope, cells, paid_only=True)
    _underpayments(scope, cells)
    _denied(scope, cells)

    payers = {
        pk: (name, str(public_id))
        for pk, name, public_id in payer_list(actor=actor)
        .filter(pk__in={payer for _, payer in cells})
        .values_list("pk", "name", "public_id")
    }
    by_payer: dict[int, PayerRow] = {}
    blocks: dict[int, PracticeBlock] = {}
    total = PayerFigures()
    for (practice_id, payer_id), figures in cells.items():
        name, public_id = payers.get(payer_id, ("Unknown payer", ""))
        practice = actor.access[practice_id].practice
        block = blocks.setdefault(
            practice_id, PracticeBlock(practice.name, str(practice.public_id), [])
        )
        block.payers.append(PayerRow(name, public_id, figures))
        block.figures.add(figures)
        by_payer.setdefault(payer_id, PayerRow(name, public_id)).figures.add(figures)
        total.add(figures)
    for block in blocks.values():
        block.payers.sort(key=lambda r: r.label.lower())
    return PayerReport(
        filters=filters,
        window=window,
        payers=sorted(by_payer.values(), key=lambda r: r.label.lower()),
        practices=sorted(blocks.values(), key=lambda b: b.label.lower()),
        total=total,
        practice_ids=report_practice_ids(actor, filters) | frozenset(blocks),
    )


def payer_chart(report: PayerReport) -> StackedBars:
    """Dollars each payer denied and underpaid in the period: where money is lost, by payer."""
    rows = [
        (r.label, [r.figures.denied, r.figures.underpaid])
        for r in sorted(report.payers, key=lambda r: -(r.figures.denied + r.figures.underpaid))
    ]
    place = chart_scope(report.filters.practice, report.practice_ids)
    chart = stacked_bars(
        f"Dollars denied and underpaid by payer · {place}", ["Denied", "Underpaid"], rows[:15]
    )
    return recolour(chart, CATEGORY_PALETTE[1:])
