"""Credentialing holds released when an enrollment turns active.

A claim whose rendering provider is not enrolled with its payer waits in CREDENTIALING_HOLD
(`scrubbing.target_state`). When setup marks that enrollment active, the held claims of that
provider and payer are scrubbed again in the same transaction as the enrollment change: each
goes READY, or SCRUBBED when other errors remain, or stays held when its date of service falls
outside the enrollment's dates.

The person changing the enrollment holds setup.manage, not necessarily any claims capability,
so the claims are read and moved by the system (`for_system`) on their behalf: the history and
the audit name them and carry their reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bureau.claims.models import Claim, ClaimState
from bureau.claims.scrubbing import claims_scrub
from bureau.directory.models import Enrollment, EnrollmentStatus
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability

SYSTEM_REASON = "enrollment activated: release credentialing holds"
BEFORE_EFFECTIVE = "date of service before the effective date"
AFTER_END = "date of service after the end date"
NOT_IN_FORCE = "the enrollment is not in force on the date of service"


@dataclass(frozen=True)
class ReleaseResult:
    """What re-scrubbing the held claims of one provider and payer did."""

    ready: tuple[Claim, ...] = ()
    scrubbed: tuple[Claim, ...] = ()  # released, with other errors left to fix
    held: tuple[tuple[Claim, str], ...] = ()  # still on hold, and why

    @property
    def released(self) -> int:
        return len(self.ready) + len(self.scrubbed)

    def summary(self) -> str:
        """ "3 held claims released, 1 still held: date of service before the effective date";
        "" when nothing was held."""
        parts = []
        if self.released:
            text = f"{self.released} held claim{'s' if self.released != 1 else ''} released"
            if self.scrubbed:
                text += f" ({len(self.scrubbed)} with other errors to fix)"
            parts.append(text)
        for why, count in sorted(Counter(why for _, why in self.held).items()):
            parts.append(f"{count} still held: {why}")
        return ", ".join(parts)


def _why_held(claim: Claim, enrollment: Enrollment) -> str:
    dos = claim.encounter.date_of_service
    if enrollment.effective_date and dos < enrollment.effective_date:
        return BEFORE_EFFECTIVE
    if enrollment.end_date and dos > enrollment.end_date:
        return AFTER_END
    return NOT_IN_FORCE


def release_credentialing_holds(
    *, actor: Actor, enrollment: Enrollment, reason: str
) -> ReleaseResult:
    """Re-scrub the practice's claims held for `enrollment`'s provider and payer. Call inside
    the transaction that made the enrollment active (`directory.services.enrollment_change`);
    an enrollment that is not active with an effective date releases nothing."""
    actor.require(Capability.SETUP_MANAGE, enrollment.practice_id)
    if enrollment.status != EnrollmentStatus.ACTIVE or enrollment.effective_date is None:
        return ReleaseResult()
    held = list(
        Claim.objects.for_system([enrollment.practice_id], reason=SYSTEM_REASON)
        .filter(
            state=ClaimState.CREDENTIALING_HOLD,
            payer_id=enrollment.payer_id,
            encounter__rendering_provider_id=enrollment.provider_id,
        )
        .select_for_update(of=("self",))
        .order_by("id")
    )
    if not held:
        return ReleaseResult()
    outcomes = claims_scrub(
        actor=None,
        claims=held,
        note=(
            f"credentialing hold re-checked: enrollment of {enrollment.provider.name} "
            f"with {enrollment.payer.name} made active"
        ),
        on_behalf_of=actor.user,
        reason=reason,
    )
    # The claims' moves tell the work queue (claims_transition); the enrollment's own change
    # re-derives its credentialing item and setup gaps (directory.services.enrollment_change).
    return ReleaseResult(
        ready=tuple(o.claim for o in outcomes if o.state == ClaimState.READY),
        scrubbed=tuple(o.claim for o in outcomes if o.state == ClaimState.SCRUBBED),
        held=tuple(
            (o.claim, _why_held(o.claim, enrollment))
            for o in outcomes
            if o.state == ClaimState.CREDENTIALING_HOLD
        ),
    )
