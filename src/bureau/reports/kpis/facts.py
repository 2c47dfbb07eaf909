"""The per-claim facts several KPIs share, as correlated subqueries read through the scope.

Each is written once here so that "first submitted", "first adjudicated" or "rejected" mean the
same in every KPI that uses them. They are SQL expressions (Subquery / Exists) to annotate a
claim query with; nothing is evaluated per row in Python.
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from bureau.claims.models import Claim, ClaimEvent, ClaimFrequency, ClaimState, ScrubHit, Severity
from bureau.denials.categories import DENIAL_GROUPS, NOT_DENIAL_CARCS
from bureau.denials.models import Denial
from bureau.ledger.models import ClaimBalance, EntryKind
from bureau.remittance.models import ClaimAdjudication
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


def first_adjudicated(*, paid_only: bool = False) -> F:
    """The payment date (BPR16) of the first 835 that answered the claim (that paid it, when
    `paid_only`): when the payer first adjudicated it.

    Read from the claim's adjudication row (`remittance.ClaimAdjudication`, kept where an 835
    loop is matched to the claim, in the same transaction as the loop): a column, so "first
    adjudicated in the period" is a range on an index, where searching every claim's loops
    (in the period? none before it?) cost a practice's dashboard a fifth of its time on a
    1M-claim book."""
    return F("adjudication__first_paid" if paid_only else "adjudication__first_adjudicated")


def first_adjudicated_in_period(scope: KpiScope, *, paid_only: bool = False) -> Q:
    """The claim's first 835 (that paid, when `paid_only`) is dated in the period, read from
    the adjudication rows' (practice, first 835) index: the period's claims, not every claim's
    loops."""
    field = "first_paid" if paid_only else "first_adjudicated"
    firsts = scope.rows(ClaimAdjudication, None).filter(in_period(scope, field))
    return Q(pk__in=firsts.values("claim_id"))


def first_adjudicated_on(day: str, claim: str = "claim") -> Q:
    """The claim (reached through `claim`) was first adjudicated on the row's date `day` (a
    denial's `denied_on`): its first 835 is dated that day."""
    return Q(**{f"{claim}__adjudication__first_adjudicated": F(day)})


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


def corrected(scope: KpiScope, claim: str = "pk") -> Exists:
    """A replacement or void was sent for the claim: it was not resolved as first billed."""
    return Exists(scope.rows(Claim, None).filter(replaces_id=OuterRef(claim)))


def not_reworked(scope: KpiScope, claim: str = "claim_id") -> Q:
    """Never rejected, never denied, never corrected: the claim was resolved as first billed.

    The same three facts as `rejected`, `denied` and `corrected`, written as `NOT IN` the
    practice's sets rather than three probes per claim: PostgreSQL reads each set once into a
    hash (a few thousand ids) where the probes cost three index searches for every claim in
    the period (a third of the adjudicated claims' statement on a 1M-claim book). The sets
    hold no NULL (`replaces_id` is filtered), so `NOT IN` means what it says."""
    rejected_ids = scope.rows(ClaimEvent, None).filter(to_state=ClaimState.REJECTED)
    corrections = scope.rows(Claim, None).filter(replaces_id__isnull=False)
    return (
        ~Q(**{f"{claim}__in": rejected_ids.values("claim_id")})
        & ~Q(**{f"{claim}__in": scope.rows(Denial, None).values("claim_id")})
        & ~Q(**{f"{claim}__in": corrections.values("replaces_id")})
    )


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
