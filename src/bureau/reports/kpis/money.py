"""Money KPIs, from the append-only ledger (a claim line's insurance balance is the sum of its
entries) and the ERAs: days in A/R, A/R over 90 days, net collection rate, denial write-offs
and the ERA auto-post rate."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, Q, QuerySet, Sum, Value, When

from bureau.ledger.models import ClaimBalance, EntryKind, LedgerEntry
from bureau.remittance.models import EraClaim, EraClaimOutcome
from bureau.reports.aging import dated_after, insurance_buckets, money
from bureau.reports.filters import AgingBasis
from bureau.reports.kpis import facts
from bureau.reports.kpis.registry import (
    CENT,
    ZERO,
    Definition,
    Direction,
    KpiValue,
    Unit,
    Variant,
    ratio,
    register,
    value_of,
)
from bureau.reports.kpis.scope import KpiScope

INSURANCE_ONLY = (
    "Bureau's ledger holds each claim line's insurance balance; amounts moved to patient "
    "responsibility leave it, and patient balances and patient payments are not recorded yet, "
    "so A/R and collections here are insurance A/R and insurance payments"
)
NET_REVENUE = "charges − contractual adjustments (CARC 45, 253, 59, 94, 144; never denials)"


def _ledger(scope: KpiScope) -> QuerySet[LedgerEntry]:
    return scope.rows(LedgerEntry, "claim__payer")


def _period(scope: KpiScope) -> Q:
    return facts.in_period(scope, "effective_date")


@dataclass(frozen=True)
class PeriodMoney:
    """The period's ledger entries summed by what they are (insurance dollars, signed as
    posted: charges positive, payments and adjustments negative)."""

    charges: Decimal
    contractual: Decimal  # contractual adjustments (never denials)
    paid: Decimal  # payments net of refunds and take-backs
    denial_write_offs: Decimal  # write-offs on claims that have a denial


def period_money(scope: KpiScope) -> PeriodMoney:
    """One pass over the period's entries for days in A/R, the net collection rate and denial
    write-offs, which sum the same entries (read once per scope)."""

    def read() -> PeriodMoney:
        entries = (
            _ledger(scope)
            .filter(_period(scope))
            .annotate(
                claim_denied=Case(
                    # Whether the claim has a denial asked of write-offs alone: few entries are.
                    When(kind=EntryKind.WRITE_OFF, then=facts.denied(scope, claim="claim_id")),
                    default=Value(False),
                )
            )
        )
        totals = entries.aggregate(
            charges=Sum("amount", filter=Q(kind=EntryKind.CHARGE)),
            contractual=Sum("amount", filter=facts.CONTRACTUAL),
            paid=Sum("amount", filter=Q(kind__in=(EntryKind.PAYMENT, EntryKind.REFUND))),
            denial_write_offs=Sum("amount", filter=Q(kind=EntryKind.WRITE_OFF, claim_denied=True)),
        )
        # As cents: SQLite's sums carry float noise that adding two of them would show.
        return PeriodMoney(*(money(totals[k]) for k in PeriodMoney.__dataclass_fields__))

    return scope.shared("period_money", read)


# -- days in A/R --------------------------------------------------------------------------------
@register(
    Definition(
        key="days_in_ar",
        name="Days in A/R",
        summary="Open insurance A/R at the end of the period divided by the average daily "
        "charges (or net revenue) of the period.",
        variants=(
            Variant(
                "gross_charges",
                "On gross charges",
                "insurance A/R at the end of the period (sum of every ledger entry up to then)",
                "average daily gross charges: charges posted in the period ÷ days in it",
                Unit.DAYS,
            ),
            Variant(
                "net_revenue",
                "On net revenue",
                "insurance A/R at the end of the period",
                "average daily net revenue: (" + NET_REVENUE + ") in the period ÷ days in it",
                Unit.DAYS,
            ),
        ),
        period_basis="A/R at the period's last day; charges by ledger effective date (the "
        "submission date) over the period's calendar days (use 90 days for the usual figure)",
        source="AAFP / MGMA (gross charges) and HFMA MAP Key 'Days in total discounted A/R' "
        "(net revenue)",
        direction=Direction.LOWER,
        target=Decimal("35"),  # the client commitment: ≤ 35 days in A/R
        exclusions=(INSURANCE_ONLY, "claims never submitted: nothing is on the ledger yet"),
    )
)
def days_in_ar(scope: KpiScope, variant: Variant) -> KpiValue:
    sums = period_money(scope)
    revenue_total = sums.charges
    if variant.key == "net_revenue":
        revenue_total += sums.contractual
    ar = _ar_at_end(scope)
    daily = revenue_total / scope.days
    # The value from the exact daily figure; the denominator shown is rounded to the cent.
    value = ratio(ar * scope.days, revenue_total, Unit.DAYS)
    return KpiValue("days_in_ar", variant, ar, daily.quantize(CENT), value)


def _ar_at_end(scope: KpiScope) -> Decimal:
    """Insurance A/R at the period's end: the sum of every entry up to it — the claims'
    balance rows (`ledger.ClaimBalance`, every entry) when no entry is dated after it, as a
    period ending today is; else the ledger's entries up to that day."""
    entries = _ledger(scope)
    if dated_after(entries, scope.end):
        total = entries.filter(effective_date__lte=scope.end).aggregate(ar=Sum("amount"))["ar"]
    else:
        # Settled claims add nothing: read the open ones alone (the open-balance index).
        total = (
            scope.rows(ClaimBalance, "payer")
            .filter(~Q(insurance=0) | ~Q(transferred=0))
            .aggregate(ar=Sum("insurance"))["ar"]
        )
    return money(total)


# -- A/R over 90 days ---------------------------------------------------------------------------
@register(
    Definition(
        key="ar_over_90",
        name="A/R over 90 days",
        summary="Share of the open insurance A/R at the end of the period older than 90 days.",
        variants=(
            Variant(
                "by_date_of_service",
                "Aged from date of service",
                "insurance A/R at the period's end on claims whose date of service is more "
                "than 90 days before that day (the aging report's 91–120 and 120+ columns)",
                "insurance A/R at the period's end",
                Unit.PERCENT,
            ),
            Variant(
                "by_first_submission",
                "Aged from first submission",
                "insurance A/R at the period's end on claims first submitted (charged) more "
                "than 90 days before that day (the aging report on that basis)",
                "insurance A/R at the period's end",
                Unit.PERCENT,
            ),
        ),
        period_basis="balances as of the period's last day",
        aging_basis="the claim's date of service (default) or first submission date, to the "
        "period's end, as the A/R aging report ages it",
        source="HFMA MAP Key 'Aged A/R as a percentage of billed A/R' (> 90 days)",
        direction=Direction.LOWER,
        exclusions=(INSURANCE_ONLY,),
    )
)
def ar_over_90(scope: KpiScope, variant: Variant) -> KpiValue:
    # The A/R aging report's own buckets over the scope's rows: the figure is its 91–120 and
    # 120+ insurance columns over its insurance total, to the cent, on either basis.
    basis = AgingBasis.SERVICE if variant.key == "by_date_of_service" else AgingBasis.SUBMISSION
    _claims, buckets = insurance_buckets(
        scope.rows(ClaimBalance, "payer"), _ledger(scope), scope.end, basis
    )
    old = buckets.amounts[3] + buckets.amounts[4]
    return value_of("ar_over_90", variant, old, buckets.total)


# -- net collection rate ------------------------------------------------------------------------
@register(
    Definition(
        key="net_collection_rate",
        name="Net collection rate",
        summary="Payments as a share of what could be collected: charges less contractual "
        "adjustments. Denials and write-offs are not taken off the denominator, so they lower "
        "the rate.",
        variants=(
            Variant(
                "adjusted",
                "Adjusted (net)",
                "insurance payments posted in the period, net of refunds and payer take-backs",
                NET_REVENUE + ", posted in the period",
                Unit.PERCENT,
            ),
        ),
        period_basis="ledger effective date (payments: the ERA's payment date; charges: the "
        "submission date), both over the same period — use a period long enough (a quarter or "
        "more) for payments to catch up with the charges",
        source="MGMA 'adjusted collection rate'; AAFP 'net collection rate'",
        direction=Direction.HIGHER,
        target=Decimal("95"),  # the client commitment: ≥ 95 % net collection
        exclusions=(
            INSURANCE_ONLY,
            "denial adjustments and write-offs stay in the denominator (they are lost revenue)",
        ),
    )
)
def net_collection_rate(scope: KpiScope, variant: Variant) -> KpiValue:
    sums = period_money(scope)
    # Payments lower the balance (negative entries): collected dollars are their opposite.
    collectible = sums.charges + sums.contractual
    return value_of("net_collection_rate", variant, -sums.paid, collectible)


# -- denial write-off % -------------------------------------------------------------------------
@register(
    Definition(
        key="denial_writeoff_pct",
        name="Denial write-offs",
        summary="Dollars written off on denied claims as a share of net revenue.",
        variants=(
            Variant(
                "of_net_revenue",
                "Of net revenue",
                "write-offs posted in the period (net of reversals) on claims that have a denial",
                NET_REVENUE + ", posted in the period",
                Unit.PERCENT,
            ),
            Variant(
                "of_gross_charges",
                "Of gross charges",
                "write-offs posted in the period on claims that have a denial",
                "charges posted in the period",
                Unit.PERCENT,
            ),
        ),
        period_basis="ledger effective date of the write-off and of the charges",
        source="HFMA MAP Key 'Denial write-offs as a percentage of net revenue'",
        direction=Direction.LOWER,
        exclusions=(
            INSURANCE_ONLY,
            "write-offs on claims never denied (small balances, timely filing without a "
            "denial): not denial write-offs",
            "denials still being worked: their denying adjustment is not a write-off until "
            "an approved write-off takes its place",
        ),
    )
)
def denial_writeoff_pct(scope: KpiScope, variant: Variant) -> KpiValue:
    sums = period_money(scope)
    base = sums.charges + (sums.contractual if variant.key == "of_net_revenue" else ZERO)
    return value_of("denial_writeoff_pct", variant, -sums.denial_write_offs, base)


# -- ERA auto-post rate -------------------------------------------------------------------------
@register(
    Definition(
        key="era_auto_post_rate",
        name="ERA auto-post rate",
        summary="Share of the 835 claim payments (CLP loops) posted with no person involved.",
        variants=(
            Variant(
                "by_count",
                "By claim payment count",
                "CLP loops posted automatically when the ERA was taken in",
                "CLP loops of the ERAs paid in the period (posted, held as exceptions, posted "
                "after review or dismissed)",
                Unit.PERCENT,
            ),
            Variant(
                "by_dollars",
                "By dollars",
                "dollars paid (CLP04) on loops posted automatically",
                "dollars paid on every CLP loop of the ERAs paid in the period",
                Unit.PERCENT,
            ),
        ),
        period_basis="the ERA's payment date (BPR16)",
        source="Payment-posting convention (MGMA / HBMA: share of remittances auto-posted)",
        direction=Direction.HIGHER,
        exclusions=("PLB provider-level adjustments: they belong to no claim payment",),
    )
)
def era_auto_post_rate(scope: KpiScope, variant: Variant) -> KpiValue:
    loops = scope.rows(EraClaim, "era__payer").filter(facts.era_in_period(scope))
    auto = Q(outcome=EraClaimOutcome.POSTED)
    if variant.key == "by_dollars":
        totals = loops.aggregate(total=Sum("paid"), auto=Sum("paid", filter=auto))
    else:
        totals = loops.aggregate(total=Count("pk"), auto=Count("pk", filter=auto))
    return value_of("era_auto_post_rate", variant, totals["auto"], totals["total"])
