"""The per-claim facts several KPIs share, as correlated subqueries read through the scope.

Each is written once here so that "first submitted", "first adjudicated" or "rejected" mean the
same in every KPI that uses them. They are SQL expressions (Subquery / Exists) to annotate a
claim query with; nothing is evaluated per row in Python.
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from bureau.claims.models import Claim, ClaimEvent, ClaimFrequency, ClaimState, ScrubHit, Severity
from bureau.denials.categories import DENIAL_GROUPS, NOT_DENIAL_CARCS
from bureau.denials.models import Denial
from bureau.ledger.models import ClaimBalance, EntryKind
from bureau.remittance.models import EraClaim
from bureau.reports.kpis.scope import KpiScope


def first_submitted() -> F:
    """The claim's first submission date: the business date its charges went on the ledger,
    which the batch build does when it submits the claim (`ledger.services.post_charges`; a
    resubmission charges nothing again, so the earliest charge is the first submission).

    Read from the claim's balance row (`ledger.ClaimBalance.first_charged`, kept by the
    ledger's write path in the same transaction as the charge): a column, so "submitted in
    the period" is a range on it, not a search of every claim's entries (on a 1M-claim book
    the per-claim search cost a practice's dashboard most of a second per KPI)."""
    return F("balance__first_charged")


def first_submitted_in_period(scope: KpiScope) -> Q:
    """The claim's first submission is dated in the period: its balance row's first charge
    is, read from the balance rows' (practice, first charge) index — the period's few
    thousand claims, not a probe of every claim the scope holds."""
    firsts = scope.rows(ClaimBalance, None).filter(in_period(scope, "first_charged"))
    return Q(pk__in=firsts.values("claim_id"))


def _loops(scope: KpiScope, claim: str, paid_only: bool) -> QuerySet[EraClaim]:
    loops = scope.rows(EraClaim, None).filter(claim_id=OuterRef(claim))
    return loops.filter(paid__gt=0) if paid_only else loops


def first_adjudicated(scope: KpiScope, *, paid_only: bool = False, claim: str = "pk") -> Subquery:
    """The payment date (BPR16) of the first ERA that answered the claim (with money, when
    `paid_only`): when the payer first adjudicated it. A value per claim: filter by
    `first_adjudicated_in_period`, then annotate this where the date itself is needed."""
    loops = _loops(scope, claim, paid_only)
    return Subquery(loops.order_by("era__payment_date").values("era__payment_date")[:1])


def first_adjudicated_in_period(
    scope: KpiScope, *, paid_only: bool = False, claim: str = "pk"
) -> Q:
    """The claim's first 835 (that paid, when `paid_only`) is dated in the period: one is, and
    none is dated before it. Two semi-joins the database answers from the period's ERAs (an
    index on payment date), where comparing `first_adjudicated` would compute it for every
    claim the scope holds."""
    loops = _loops(scope, claim, paid_only)
    return Q(Exists(loops.filter(era_in_period(scope)))) & ~Q(
        Exists(loops.filter(era__payment_date__lt=scope.start))
    )


def first_adjudicated_on(scope: KpiScope, day: str, claim: str = "claim_id") -> Q:
    """The claim was first adjudicated on the row's date `day` (a denial's `denied_on`): an
    835 for it is dated that day and none before."""
    loops = _loops(scope, claim, False)
    return Q(Exists(loops.filter(era__payment_date=OuterRef(day)))) & ~Q(
        Exists(loops.filter(era__payment_date__lt=OuterRef(day)))
    )


def rejected(scope: KpiScope, claim: str = "pk") -> Exists:
    """Ever rejected by the clearinghouse (999) or the payer's front end (277CA): the claim's
    history records every move to `rejected`, whichever acknowledgement made it."""
    return Exists(
        scope.rows(ClaimEvent, None).filter(claim_id=OuterRef(claim), to_state=ClaimState.REJECTED)
    )


def scrub_errors(scope: KpiScope, claim: str = "pk") -> Exists:
    """Ever held back by a scrubber error (any run, current or since fixed)."""
    return Exists(
        scope.rows(ScrubHit, None).filter(claim_id=OuterRef(claim), severity=Severity.ERROR)
    )


def denied(scope: KpiScope, claim: str = "pk") -> Exists:
    return Exists(scope.rows(Denial, None).filter(claim_id=OuterRef(claim)))


def corrected(scope: KpiScope) -> Exists:
    """A replacement or void was sent for the claim: it was not resolved as first billed."""
    return Exists(scope.rows(Claim, None).filter(replaces_id=OuterRef("pk")))


def original_claims(scope: KpiScope) -> QuerySet[Claim]:
    """Claims as first billed (CLM05-3 = 1): a replacement or void is rework of one of them,
    never a second claim in a rate's denominator."""
    return scope.rows(Claim, "payer").filter(frequency=ClaimFrequency.ORIGINAL)


def in_period(scope: KpiScope, field: str) -> Q:
    return Q(**{f"{field}__gte": scope.start, f"{field}__lte": scope.end})


def era_in_period(scope: KpiScope, era: str = "era") -> Q:
    """The ERA reached through `era` is dated (BPR16) in the period — and, for one practice,
    is that practice's: row-level security names every practice the person may see, so without
    it the database reads every practice's ERAs of the period to keep one practice's."""
    period = in_period(scope, f"{era}__payment_date")
    if scope.practice_id is None:
        return period
    return period & Q(**{f"{era}__practice_id": scope.practice_id})


# A payer adjustment that reduces the charge to the contracted amount (CARC 45 and its kin),
# as opposed to one that denies: the same rule the denial and write-off code uses
# (`denials.categories.is_denial_reason`), written as a query condition.
CONTRACTUAL = Q(kind=EntryKind.ADJUSTMENT) & (
    ~Q(group_code__in=sorted(DENIAL_GROUPS)) | Q(reason_code__in=sorted(NOT_DENIAL_CARCS))
)
