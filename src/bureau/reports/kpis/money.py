"""Money KPIs, from the append-only ledger (a claim line's insurance balance is the sum of its
entries) and the ERAs: days in A/R, A/R over 90 days, net collection rate, denial write-offs
and the ERA auto-post rate."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.remittance.models import EraClaim, EraClaimOutcome
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


def _sum(value: Decimal | None) -> Decimal:
    return value if value is not None else ZERO


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
    revenue = Q(kind=EntryKind.CHARGE)
    if variant.key == "net_revenue":
        revenue |= facts.CONTRACTUAL
    totals = _ledger(scope).aggregate(
        ar=Sum("amount", filter=Q(effective_date__lte=scope.end)),
        revenue=Sum("amount", filter=revenue & _period(scope)),
    )
    ar, revenue_total = _sum(totals["ar"]), _sum(totals["revenue"])
    daily = revenue_total / scope.days
    # The value from the exact daily figure; the denominator shown is rounded to the cent.
    value = ratio(ar * scope.days, revenue_total, Unit.DAYS)
    return KpiValue("days_in_ar", variant, ar, daily.quantize(CENT), value)


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
                "insurance A/R at the period's end on lines whose date of service is more than "
                "90 days before that day",
                "insurance A/R at the period's end",
                Unit.PERCENT,
            ),
            Variant(
                "by_first_submission",
                "Aged from first submission",
                "insurance A/R at the period's end on lines first submitted (charged) more "
                "than 90 days before that day",
                "insurance A/R at the period's end",
                Unit.PERCENT,
            ),
        ),
        period_basis="balances as of the period's last day",
        aging_basis="date of service (default) or first submission date, to the period's end",
        source="HFMA MAP Key 'Aged A/R as a percentage of billed A/R' (> 90 days)",
        direction=Direction.LOWER,
        exclusions=(INSURANCE_ONLY,),
    )
)
def ar_over_90(scope: KpiScope, variant: Variant) -> KpiValue:
    cutoff = scope.end - timedelta(days=90)  # older than 90 days: dated before this day
    entries = _ledger(scope).filter(effective_date__lte=scope.end)
    if variant.key == "by_first_submission":
        entries = entries.annotate(aged_from=facts.line_first_charged(scope))
        old = Q(aged_from__lt=cutoff)
    else:
        old = Q(claim_line__date_of_service__lt=cutoff)
    totals = entries.aggregate(ar=Sum("amount"), old=Sum("amount", filter=old))
    return value_of("ar_over_90", variant, _sum(totals["old"]), _sum(totals["ar"]))


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
    period = _period(scope)
    totals = _ledger(scope).aggregate(
        paid=Sum("amount", filter=period & Q(kind__in=(EntryKind.PAYMENT, EntryKind.REFUND))),
        collectible=Sum("amount", filter=period & (Q(kind=EntryKind.CHARGE) | facts.CONTRACTUAL)),
    )
    # Payments lower the balance (negative entries): collected dollars are their opposite.
    return value_of(
        "net_collection_rate", variant, -_sum(totals["paid"]), _sum(totals["collectible"])
    )


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
    period = _period(scope)
    base = Q(kind=EntryKind.CHARGE)
    if variant.key == "of_net_revenue":
        base |= facts.CONTRACTUAL
    entries = _ledger(scope).annotate(claim_denied=facts.denied(scope, claim="claim_id"))
    totals = entries.aggregate(
        written_off=Sum("amount", filter=period & Q(kind=EntryKind.WRITE_OFF, claim_denied=True)),
        base=Sum("amount", filter=period & base),
    )
    return value_of(
        "denial_writeoff_pct", variant, -_sum(totals["written_off"]), _sum(totals["base"])
    )


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
    loops = scope.rows(EraClaim, "era__payer").filter(facts.in_period(scope, "era__payment_date"))
    auto = Q(outcome=EraClaimOutcome.POSTED)
    if variant.key == "by_dollars":
        totals = loops.aggregate(total=Sum("paid"), auto=Sum("paid", filter=auto))
    else:
        totals = loops.aggregate(total=Count("pk"), auto=Count("pk", filter=auto))
    return value_of("era_auto_post_rate", variant, totals["auto"], totals["total"])
