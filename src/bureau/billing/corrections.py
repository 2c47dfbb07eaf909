"""Write-offs and corrected claims: one claim balance, never decided twice.

A replacement or void, once submitted, moves the original's whole open balance to the
correction — the ledger reverses every non-cash entry the original carries, its WRITE_OFF
entries included (`ledger.corrections`). So:

* no write-off is asked on a claim while its correction is unsent: the dollars are about to
  move, and the write-off would silently be undone a few days later;
* no correction is made while a write-off on the claim waits for approval: decide it first,
  or the approver would post against a balance that is leaving;
* a write-off approved before the correction is *taken back* when the correction is submitted:
  its request says so (status, note, audit event), so nobody reads it as still written off
  and reports do not count its dollars.

Claims calls the last two (a lazy import, as it calls the work queue's hooks); billing reads
claims for the first.
"""

from __future__ import annotations

from collections.abc import Sequence

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.billing.models import POSTED_STATUSES, WriteOffRequest, WriteOffStatus
from bureau.claims.corrections import UNSENT
from bureau.claims.models import Claim, ClaimState
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability

REASON = "write-offs of corrected claims"


def writeoff_refusal_for_correction(actor: Actor, claim: Claim) -> str:
    """Why no write-off may be asked on `claim` now ("" when it may). The correction shares the
    claim's encounter (practice and provider), so the requester's own scope finds it."""
    found = (
        Claim.objects.visible_to(actor, Capability.WRITEOFFS_REQUEST)
        .filter(replaces_id=claim.pk)
        .exclude(state=ClaimState.CLOSED)
        .values_list("number", "state")
        .first()
    )
    if found is None:
        return ""
    number, state = found
    if state in UNSENT:
        return (
            f"Claim {claim.number} has an unsent correction ({number}): its open balance moves "
            f"to {number} when that is submitted. Write off on {number} once the payer "
            "answers it."
        )
    return (
        f"Claim {claim.number} was corrected by {number}: its balance moved there. Write off "
        f"on {number} once the payer answers it."
    )


def correction_refusal_for_writeoffs(practice_id: int, claim: Claim) -> str:
    """Why `claim` may not be corrected now because of a write-off ("" when it may)."""
    waiting = (
        WriteOffRequest.objects.for_system([practice_id], reason=REASON)
        .filter(claim_id=claim.pk, status=WriteOffStatus.PENDING)
        .values_list("amount", flat=True)
        .first()
    )
    if waiting is None:
        return ""
    return (
        f"Claim {claim.number} has a write-off of {waiting} waiting for approval: have it "
        "approved or refused before correcting the claim."
    )


def writeoffs_taken_back(*, actor: Actor | None, originals: Sequence[Claim]) -> int:
    """The originals' posted write-offs, undone by their corrections' submission (module doc),
    marked taken back with one audit event per practice; in the caller's transaction."""
    scope = {c.practice_id for c in originals} | (
        set(actor.practice_ids()) if actor is not None else set()
    )
    by_practice: dict[int, list[Claim]] = {}
    for claim in originals:
        by_practice.setdefault(claim.practice_id, []).append(claim)
    taken = 0
    for practice_id, claims in by_practice.items():
        numbers = {c.pk: c.number for c in claims}
        rows = list(
            WriteOffRequest.objects.for_system([practice_id], reason=REASON)
            .filter(claim_id__in=list(numbers), status__in=list(POSTED_STATUSES))
            .order_by("id")
        )
        if not rows:
            continue
        now = clock.now()
        for row in rows:
            note = (
                f"{row.decision_note} Taken back on {now.date().isoformat()}: claim "
                f"{numbers[row.claim_id]} was corrected, and its open balance (this write-off "
                "too) moved to the correction."
            ).strip()
            WriteOffRequest.objects.for_system([practice_id], reason=REASON).filter(
                pk=row.pk, status=row.status
            ).update(status=WriteOffStatus.TAKEN_BACK, decision_note=note[:300])
        audit_record(
            action=AuditAction.WRITEOFF_TAKEN_BACK,
            actor=actor,
            # A batch built by the system has no person behind it: the event names the system.
            workspace=Workspace.objects.get(pk=claims[0].workspace_id) if actor is None else None,
            label="" if actor is not None else "system",
            practice=Practice.objects.get(pk=practice_id),
            model="billing.WriteOffRequest",
            record_ids=[row.public_id for row in rows],
            reason="claim corrected",
            detail={
                "claims": sorted(str(c.public_id) for c in claims),
                "amount": str(sum(row.amount for row in rows)),
            },
        )
        taken += len(rows)
    rls.activate(scope)  # for_system narrowed the caller's scope; give it back
    return taken
