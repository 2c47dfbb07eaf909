"""A corrected claim on the ledger: the original's open balance leaves it when its replacement
or void is submitted, so each dollar is counted once.

At that moment every entry the original still carries is reversed — its charges, adjustments,
transfers to the patient, write-offs — except cash (payments, refunds). Cash only moves when the
payer moves it: the payer's reversal (835 CLP02 = 22) of the original's payment comes with the
replacement's payment or as the void's answer, and posting it reverses the payment entries then.
Until it does, the original shows the payment it received as a credit, which is the truth.

The replacement's own lines are charged like any claim's (`post_charges`); a void is never
charged (it bills nothing). `bureau ledger check` accepts a closed original's lines with every
charge reversed (net charge zero) because a correction names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction

from bureau.claims.models import Claim, ClaimLine
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.ledger.services import (
    REASON,
    LedgerAppender,
    audit_claims_posted,
    reverse_entries,
)
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor

CASH = frozenset({EntryKind.PAYMENT, EntryKind.REFUND})
NOTE = "balance moved: claim corrected"


def open_entries(practice_ids: Sequence[int], claim_ids: Sequence[int]) -> list[dict]:  # type: ignore[type-arg]
    """The claims' entries no reversal points at yet (and that reverse nothing), cash aside."""
    rows = list(
        LedgerEntry.objects.for_system(practice_ids, reason=REASON)
        .filter(claim_id__in=list(claim_ids))
        .order_by("claim_line_id", "sequence")
        .values(
            "id",
            "claim_id",
            "claim_line_id",
            "kind",
            "amount",
            "group_code",
            "reason_code",
            "reverses_id",
        )
    )
    reversed_ids = {r["reverses_id"] for r in rows if r["reverses_id"] is not None}
    return [
        r
        for r in rows
        if r["reverses_id"] is None and r["id"] not in reversed_ids and r["kind"] not in CASH
    ]


def reverse_open_balances(
    *, originals: Sequence[Claim], effective_date: date, actor: Actor | None = None
) -> int:
    """Reverse what `originals` still carry but cash (module doc), in the caller's transaction
    with one audit event per practice. Returns the number of reversing entries."""
    if not originals:
        return 0
    practice_ids = sorted({c.practice_id for c in originals})
    with transaction.atomic():
        scope = set(practice_ids) | (set(actor.practice_ids()) if actor is not None else set())
        rls.activate(scope)
        entries = open_entries(practice_ids, [c.pk for c in originals])
        lines = {
            line.pk: line
            for line in ClaimLine.objects.for_system(practice_ids, reason=REASON).filter(
                pk__in={e["claim_line_id"] for e in entries}
            )
        }
        appender = LedgerAppender(practice_ids, list(lines))
        reverse_entries(
            appender,
            entries,
            lines,
            note=NOTE,
            effective_date=effective_date,
            posted_by_id=actor.user.pk if actor is not None else None,
        )
        written = appender.flush()
        audit_claims_posted(
            actor,
            originals,
            written,
            {
                "reversals": len(written),
                "reason": NOTE,
                "effective_date": effective_date.isoformat(),
            },
        )
        rls.activate(scope)  # for_system narrowed the caller's scope; give it back
        return len(written)


def corrected_claim_ids(practice_ids: Sequence[int]) -> set[int]:
    """Claims some correction names (for `ledger check`: their charges may be reversed)."""
    return set(
        Claim.objects.for_system(practice_ids, reason="ledger check")
        .filter(replaces__isnull=False)
        .values_list("replaces_id", flat=True)
    )
