"""Claim KPIs: clean claims, first-pass acceptance and resolution, initial denials, charge lag
and days to pay (each a definition and its one implementation)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum

from bureau.claims.models import ClaimFrequency, ClaimState
from bureau.denials.models import Denial
from bureau.ledger.models import ClaimBalance
from bureau.remittance.models import ClaimAdjudication
from bureau.reports.kpis import facts
from bureau.reports.kpis.registry import (
    ZERO,
    Definition,
    Direction,
    KpiRow,
    KpiValue,
    Unit,
    Variant,
    register,
    value_of,
)
from bureau.reports.kpis.scope import KpiScope

SUBMITTED_IN_PERIOD = "original claims (CLM05-3 = 1) first submitted in the period"
ADJUDICATED_IN_PERIOD = (
    "original claims whose first 835 (the payer's first adjudication) is dated in the period"
)
REJECTIONS_NOT_DENIALS = (
    "999/277CA rejections are not denials: a rejected claim never reached adjudication, so it "
    "is counted only once an 835 answers it"
)
CORRECTIONS = "replacement and void claims (CLM05-3 = 7, 8): they are rework of an original"


def submitted(scope: KpiScope) -> Any:  # annotated: later lookups name its annotations
    return (
        facts.original_claims(scope)
        .filter(facts.first_submitted_in_period(scope))
        .annotate(submitted_on=facts.first_submitted())
    )


def adjudicated(scope: KpiScope, *, dated: bool = False) -> Any:
    """Original claims first adjudicated in the period; `dated`: annotated with that date
    (`adjudicated_on`), for grouping by month — a value computed per claim, so only when asked."""
    claims = facts.original_claims(scope).filter(facts.first_adjudicated_in_period(scope))
    if dated:
        claims = claims.annotate(adjudicated_on=facts.first_adjudicated())
    return claims


@dataclass(frozen=True)
class SubmittedGroup:
    """Claims of the period's submitted set sharing a first submission date, a date of service
    and what became of them at the front end."""

    submitted_on: date
    served_on: date
    scrub_error: bool  # held back by a scrubber error, ever
    rejected: bool  # rejected by a 999 or a 277CA, ever
    answered: bool  # acknowledged, rejected or adjudicated: no longer waiting
    claims: int


def submitted_groups(scope: KpiScope) -> list[SubmittedGroup]:
    """The period's submitted claims counted by (submission date, service date, scrubber
    error, rejected, answered): one statement for the clean claim rate, first-pass acceptance
    and days to submit, which count the same claims (each probe of a claim's history made
    once, not once per KPI), read once per scope."""

    def read() -> list[SubmittedGroup]:
        # From the claims' balance rows, whose (practice, first charge) index finds the period's
        # submissions: starting from the claims made PostgreSQL read every original claim of
        # the practice to join a few thousand (a balance row is seen by whoever sees its claim).
        rows = (
            scope.rows(ClaimBalance, "payer")
            .filter(facts.in_period(scope, "first_charged"))
            .filter(claim__frequency=ClaimFrequency.ORIGINAL)
            .annotate(
                scrub_error=facts.scrub_errors(scope, "claim_id"),
                was_rejected=facts.rejected(scope, "claim_id"),
            )
            .values("first_charged", "date_of_service", "scrub_error", "was_rejected")
            .annotate(
                waiting_n=Count("pk", filter=Q(claim__state=ClaimState.SUBMITTED)), n=Count("pk")
            )
            .order_by()
        )
        groups = []
        for row in rows:
            key = (row["first_charged"], row["date_of_service"])
            rejected = bool(row["was_rejected"])
            # A rejected claim is answered whatever its state now (resubmitted: submitted).
            waiting = 0 if rejected else row["waiting_n"]
            for answered, n in ((True, row["n"] - waiting), (False, waiting)):
                if n:
                    groups.append(
                        SubmittedGroup(*key, bool(row["scrub_error"]), rejected, answered, n)
                    )
        return groups

    return scope.shared("submitted_groups", read)


@dataclass(frozen=True)
class AdjudicatedTotals:
    claims: int
    resolved: int  # never rejected, never denied, never corrected
    billed: Decimal


def adjudicated_totals(scope: KpiScope) -> AdjudicatedTotals:
    """The period's first-adjudicated claims: how many, how many resolved on the first pass,
    what they billed — one statement for first-pass resolution and both initial denial
    rates, read once per scope."""

    def read() -> AdjudicatedTotals:
        # From the adjudication rows' (practice, first 835) index, as `submitted_groups` starts
        # from the balance rows'.
        resolved = facts.not_reworked(scope)
        totals = (
            scope.rows(ClaimAdjudication, "claim__payer")
            .filter(facts.in_period(scope, "first_adjudicated"))
            .filter(claim__frequency=ClaimFrequency.ORIGINAL)
            .aggregate(
                claims=Count("pk"),
                resolved=Count("pk", filter=resolved),
                billed=Sum("claim__total_charge"),
            )
        )
        return AdjudicatedTotals(totals["claims"], totals["resolved"], totals["billed"] or ZERO)

    return scope.shared("adjudicated_totals", read)


# -- clean claim rate ---------------------------------------------------------------------------
@register(
    Definition(
        key="clean_claim_rate",
        name="Clean claim rate",
        summary="Share of claims that went out and through the front end without anyone "
        "having to touch them: no scrubber error and no 999/277CA rejection.",
        variants=(
            Variant(
                "scrub_and_front_end",
                "Scrubber and front end",
                "claims with no scrubber error ever and no 999/277CA rejection",
                SUBMITTED_IN_PERIOD,
                Unit.PERCENT,
            ),
            Variant(
                "scrubber_only",
                "Scrubber only",
                "claims with no scrubber error ever (before or after submission)",
                SUBMITTED_IN_PERIOD,
                Unit.PERCENT,
            ),
        ),
        period_basis="first submission date (the date the claim's charges went on the ledger)",
        source="MGMA / AAPC convention: claims that pass edits with no manual "
        "intervention (the scrubber here, the clearinghouse and payer front end after)",
        direction=Direction.HIGHER,
        target=Decimal("95"),  # the client commitment: ≥ 95 % clean claims
        exclusions=(CORRECTIONS,),
    )
)
def clean_claim_rate(scope: KpiScope, variant: Variant) -> KpiValue:
    groups = submitted_groups(scope)
    front_end = variant.key == "scrub_and_front_end"
    clean = sum(g.claims for g in groups if not g.scrub_error and not (front_end and g.rejected))
    return value_of("clean_claim_rate", variant, clean, sum(g.claims for g in groups))


# -- first-pass acceptance ----------------------------------------------------------------------
@register(
    Definition(
        key="first_pass_acceptance",
        name="First-pass acceptance rate (999/277CA)",
        summary="Share of answered claims the clearinghouse (999) and the payer's front end "
        "(277CA) accepted the first time they were sent.",
        variants=(
            Variant(
                "by_count",
                "By claim count",
                "claims never rejected by a 999 or a 277CA",
                SUBMITTED_IN_PERIOD
                + " that have been answered (accepted, rejected or adjudicated)",
                Unit.PERCENT,
            ),
        ),
        period_basis="first submission date",
        source="Clearinghouse front-end acceptance as reported on the 999 (IK5/AK9) and "
        "277CA (STC); MGMA 'claims rejected' turned round",
        direction=Direction.HIGHER,
        exclusions=(
            CORRECTIONS,
            "claims still waiting for their acknowledgement (state submitted, never rejected)",
        ),
    )
)
def first_pass_acceptance(scope: KpiScope, variant: Variant) -> KpiValue:
    answered = [g for g in submitted_groups(scope) if g.answered]
    accepted = sum(g.claims for g in answered if not g.rejected)
    return value_of("first_pass_acceptance", variant, accepted, sum(g.claims for g in answered))


# -- first-pass resolution ----------------------------------------------------------------------
@register(
    Definition(
        key="first_pass_resolution",
        name="First-pass resolution rate",
        summary="Share of adjudicated claims settled as first billed: never rejected, never "
        "denied (in whole or in part), never replaced or voided.",
        variants=(
            Variant(
                "by_count",
                "By claim count",
                "claims with no 999/277CA rejection, no denial and no corrected claim",
                ADJUDICATED_IN_PERIOD,
                Unit.PERCENT,
            ),
        ),
        period_basis="date of the first 835 that answered the claim",
        source="MGMA 'first-pass resolution rate' (claims paid on first submission)",
        direction=Direction.HIGHER,
        exclusions=(CORRECTIONS, "claims no 835 has answered yet"),
    )
)
def first_pass_resolution(scope: KpiScope, variant: Variant) -> KpiValue:
    totals = adjudicated_totals(scope)
    return value_of("first_pass_resolution", variant, totals.resolved, totals.claims)


# -- initial denial rate ------------------------------------------------------------------------
def initial_denials(scope: KpiScope) -> Any:  # annotated with adjudicated_on
    """Denials dated the day of their claim's first 835, for claims first adjudicated in the
    period (the same claims as the rate's denominator, payer and practice included)."""
    return (
        scope.rows(Denial, "claim__payer")
        .filter(claim__frequency="1")
        .filter(facts.in_period(scope, "denied_on"), facts.first_adjudicated_on("denied_on"))
        .annotate(adjudicated_on=F("denied_on"))
    )


@register(
    Definition(
        key="initial_denial_rate",
        name="Initial denial rate",
        summary="Share of adjudicated claims the payer denied, in whole or in part, on its "
        "first 835 — by claim count or by dollars.",
        variants=(
            Variant(
                "by_count",
                "By claim count",
                "claims with a denial on their first 835",
                ADJUDICATED_IN_PERIOD,
                Unit.PERCENT,
            ),
            Variant(
                "by_dollars",
                "By dollars",
                "dollars denied (CO/OA/PI denying adjustments) on those claims' first 835",
                "billed charges of " + ADJUDICATED_IN_PERIOD,
                Unit.PERCENT,
            ),
        ),
        period_basis="date of the first 835 that answered the claim",
        source="HFMA MAP Key 'Initial denial rate' (denied ÷ adjudicated, count and dollars)",
        direction=Direction.LOWER,
        target=Decimal("5"),  # the client commitment: ≤ 5 % initial denials
        exclusions=(
            REJECTIONS_NOT_DENIALS,
            CORRECTIONS,
            "denials on a later 835 (after a resubmission or an appeal): not initial",
        ),
    )
)
def initial_denial_rate(scope: KpiScope, variant: Variant) -> KpiValue:
    totals = adjudicated_totals(scope)
    initial = initial_denials(scope)
    if variant.key == "by_dollars":
        dollars = initial.aggregate(total=Sum("amount"))["total"] or ZERO
        return value_of("initial_denial_rate", variant, dollars, totals.billed)
    denied = initial.aggregate(claims=Count("claim_id", distinct=True))["claims"]
    return value_of("initial_denial_rate", variant, denied, totals.claims)


# -- days to submit -----------------------------------------------------------------------------
@register(
    Definition(
        key="days_to_submit",
        name="Days to submit (charge lag)",
        summary="Average calendar days from the date of service to the claim's first submission.",
        variants=(
            Variant(
                "from_date_of_service",
                "From date of service",
                "sum over the claims of (first submission date − date of service), in days",
                SUBMITTED_IN_PERIOD,
                Unit.DAYS,
            ),
        ),
        period_basis="first submission date",
        source="MGMA 'charge lag' (date of service to claim submission)",
        direction=Direction.LOWER,
        exclusions=(CORRECTIONS,),
        not_recorded="Bureau does not record when a charge was entered, only when it was "
        "submitted: the lag is service to submission, not service to charge entry",
    )
)
def days_to_submit(scope: KpiScope, variant: Variant) -> KpiValue:
    # Grouped by (submission date, service date) in SQL: the rows are distinct date pairs, not
    # claims, so the day arithmetic stays portable (SQLite and PostgreSQL). The date of
    # service is the claim's balance row's copy: no join to encounters.
    groups = submitted_groups(scope)
    days = sum((g.submitted_on - g.served_on).days * g.claims for g in groups)
    return value_of("days_to_submit", variant, days, sum(g.claims for g in groups))


# -- days to pay, by payer ----------------------------------------------------------------------
@register(
    Definition(
        key="days_to_pay",
        name="Days to pay, by payer",
        summary="Average calendar days from a claim's first submission to the first 835 that "
        "paid it, per payer and for all payers.",
        variants=(
            Variant(
                "from_submission",
                "From first submission",
                "sum over the claims of (first paying 835's payment date − first submission "
                "date), in days",
                "original claims first paid (an 835 with money) in the period",
                Unit.DAYS,
            ),
            Variant(
                "from_date_of_service",
                "From date of service",
                "sum over the claims of (first paying 835's payment date − date of service)",
                "original claims first paid in the period",
                Unit.DAYS,
            ),
        ),
        period_basis="payment date (BPR16) of the first 835 that paid the claim",
        source="Payer-scorecard convention (MGMA payer turnaround): submission to payment",
        direction=Direction.LOWER,
        exclusions=(CORRECTIONS, "claims never paid (denied, zero-pay): no payment to time"),
        breakdown="payer",
    )
)
def days_to_pay(scope: KpiScope, variant: Variant) -> KpiValue:
    start = (
        "claim__balance__first_charged"
        if variant.key == "from_submission"
        else "claim__balance__date_of_service"
    )
    # The claims first paid in the period, from their adjudication rows' (practice, first
    # paid) index, counted by (payer, start date, paid date) so the day arithmetic stays
    # portable.
    pairs = (
        scope.rows(ClaimAdjudication, "claim__payer")
        .filter(facts.in_period(scope, "first_paid"))
        .filter(claim__frequency=ClaimFrequency.ORIGINAL)
        .filter(claim__balance__first_charged__isnull=False)
        .values("claim__payer__name", start, "first_paid")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_payer: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pair in pairs:
        sums = per_payer[pair["claim__payer__name"]]
        sums[0] += (pair["first_paid"] - pair[start]).days * pair["n"]
        sums[1] += pair["n"]
    rows = tuple(
        KpiRow(
            name,
            Decimal(days),
            Decimal(n),
            value_of("days_to_pay", variant, days, n).value,
        )
        for name, (days, n) in sorted(per_payer.items())
    )
    days = sum(v[0] for v in per_payer.values())
    claims = sum(v[1] for v in per_payer.values())
    return value_of("days_to_pay", variant, days, claims, rows)
