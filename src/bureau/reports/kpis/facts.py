"""The per-claim facts several KPIs share, as correlated subqueries read through the scope.

Each is written once here so that "first submitted", "first adjudicated" or "rejected" mean the
same in every KPI that uses them. They are SQL expressions (Subquery / Exists) to annotate a
claim query with; nothing is evaluated per row in Python.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from bureau.claims.models import Claim, ClaimEvent, ClaimFrequency, ClaimState, ScrubHit, Severity
from bureau.denials.categories import DENIAL_GROUPS, NOT_DENIAL_CARCS
from bureau.denials.models import Denial
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.remittance.models import EraClaim
from bureau.reports.kpis.scope import KpiScope


def first_submitted(scope: KpiScope, claim: str = "pk") -> Subquery:
    """The claim's first submission date: the business date its charges went on the ledger,
    which the batch build does when it submits the claim (`ledger.services.post_charges`;
    a resubmission charges nothing again, so the earliest charge is the first submission)."""
    return Subquery(
        scope.rows(LedgerEntry, None)
        .filter(claim_id=OuterRef(claim), kind=EntryKind.CHARGE)
        .order_by("effective_date")
        .values("effective_date")[:1]
    )


def first_adjudicated(scope: KpiScope, *, paid_only: bool = False, claim: str = "pk") -> Subquery:
    """The payment date (BPR16) of the first ERA that answered the claim (with money, when
    `paid_only`): when the payer first adjudicated it."""
    loops = scope.rows(EraClaim, None).filter(claim_id=OuterRef(claim))
    if paid_only:
        loops = loops.filter(paid__gt=0)
    return Subquery(loops.order_by("era__payment_date").values("era__payment_date")[:1])


def rejected(scope: KpiScope) -> Exists:
    """Ever rejected by the clearinghouse (999) or the payer's front end (277CA): the claim's
    history records every move to `rejected`, whichever acknowledgement made it."""
    return Exists(
        scope.rows(ClaimEvent, None).filter(claim_id=OuterRef("pk"), to_state=ClaimState.REJECTED)
    )


def scrub_errors(scope: KpiScope) -> Exists:
    """Ever held back by a scrubber error (any run, current or since fixed)."""
    return Exists(
        scope.rows(ScrubHit, None).filter(claim_id=OuterRef("pk"), severity=Severity.ERROR)
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


# A payer adjustment that reduces the charge to the contracted amount (CARC 45 and its kin),
# as opposed to one that denies: the same rule the denial and write-off code uses
# (`denials.categories.is_denial_reason`), written as a query condition.
CONTRACTUAL = Q(kind=EntryKind.ADJUSTMENT) & (
    ~Q(group_code__in=sorted(DENIAL_GROUPS)) | Q(reason_code__in=sorted(NOT_DENIAL_CARCS))
)


def line_first_charged(scope: KpiScope) -> Subquery:
    """A ledger entry's claim line's first charge date: the line's first submission."""
    return Subquery(
        scope.rows(LedgerEntry, None)
        .filter(claim_line_id=OuterRef("claim_line_id"), kind=EntryKind.CHARGE)
        .order_by("effective_date")
        .values("effective_date")[:1]
    )
