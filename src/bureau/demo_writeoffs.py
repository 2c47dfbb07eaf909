"""Demo write-offs, after the simulator's replay: a few auto-approved small balances, one
approved and one refused above the limit, and a couple waiting in the supervisor's queue.

Made through the services (as the demo's people), so every one is audited, posted to the
ledger and in the work queue exactly as if someone had clicked through the pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from bureau.accounts.models import User
from bureau.billing.models import WriteOffReason
from bureau.billing.services import (
    WriteOffError,
    auto_approve_limit,
    line_openings,
    writeoff_approve,
    writeoff_refuse,
    writeoff_request,
)
from bureau.claims.models import Claim, ClaimLine
from bureau.denials.models import Denial, DenialCategory, DenialStatus, RootCause
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability

REASON = "demo: write-offs"
# How a denial's category reads as a write-off reason, and where such denials start.
BY_CATEGORY: dict[str, tuple[str, str]] = {
    DenialCategory.TIMELY_FILING: (WriteOffReason.TIMELY_FILING, RootCause.CHARGE_ENTRY),
    DenialCategory.MEDICAL_NECESSITY: (WriteOffReason.MEDICAL_NECESSITY, RootCause.DOCUMENTATION),
    DenialCategory.ELIGIBILITY: (WriteOffReason.NON_COVERED, RootCause.ELIGIBILITY),
    DenialCategory.AUTHORIZATION: (WriteOffReason.ADMINISTRATIVE, RootCause.AUTHORIZATION),
}


@dataclass
class DemoWriteOffs:
    auto_approved: int = 0
    approved: int = 0
    refused: int = 0
    waiting: int = 0


def _actor(workspace: Workspace, username: str) -> Actor | None:
    user = User.objects.filter(workspace=workspace, username=username).first()
    return resolve_actor(user) if user is not None else None


def demo_writeoffs(slug: str, *, say: Callable[[str], None] | None = None) -> DemoWriteOffs:
    workspace = Workspace.objects.get(slug=slug)
    made = DemoWriteOffs()
    asker = _actor(workspace, "dan.denials")
    approver = _actor(workspace, "sam.supervisor")
    if asker is None or approver is None:
        return made
    practices = list(Practice.objects.filter(workspace=workspace).order_by("code"))
    ids = [p.pk for p in practices]
    with rls.practice_scope(ids):
        denials = list(
            Denial.objects.for_system(ids, reason=REASON)
            .filter(status__in=[DenialStatus.OPEN, DenialStatus.IN_PROGRESS])
            .order_by("denied_on", "id")
            .values_list("claim_id", "practice_id", "category")[:400]
        )
    # Big denials: approved, refused, waiting (in that order); then small balances.
    plan = ["approve", "refuse", "wait", "wait"]
    seen: set[int] = set()
    for claim_id, practice_id, category in denials:
        if not plan or claim_id in seen or not asker.can(Capability.WRITEOFFS_REQUEST, practice_id):
            continue
        seen.add(claim_id)
        step = plan[0]
        if _one(asker, approver, claim_id, practice_id, category, step, made, big=True):
            plan.pop(0)
    small = 0
    for claim_id, practice_id, category in denials:
        if small >= 2 or claim_id in seen:
            continue
        seen.add(claim_id)
        if _one(asker, approver, claim_id, practice_id, category, "auto", made, big=False):
            small += 1
    if say is not None:
        say(
            f"write-offs: {made.auto_approved} auto-approved, {made.approved} approved, "
            f"{made.refused} refused, {made.waiting} waiting for approval"
        )
    return made


def _one(
    asker: Actor,
    approver: Actor,
    claim_id: int,
    practice_id: int,
    category: str,
    step: str,
    made: DemoWriteOffs,
    *,
    big: bool,
) -> bool:
    reason, root_cause = BY_CATEGORY.get(
        category, (WriteOffReason.ADMINISTRATIVE, RootCause.PAYER_ERROR)
    )
    with rls.practice_scope([practice_id]):
        claim = Claim.objects.for_system([practice_id], reason=REASON).get(pk=claim_id)
        lines = list(
            ClaimLine.objects.for_system([practice_id], reason=REASON)
            .filter(claim_id=claim_id)
            .order_by("line_number")
        )
        openings = line_openings(claim=claim, lines=lines)
        limit = auto_approve_limit(Practice.objects.get(pk=practice_id))
    open_lines = [(line, openings[line.pk].open) for line in lines if openings[line.pk].open > 0]
    if not open_lines:
        return False
    if big:
        amounts = {str(line.public_id): value for line, value in open_lines}
        if sum(amounts.values(), Decimal("0")) <= limit:
            return False
    else:
        line, value = open_lines[0]
        amounts = {str(line.public_id): min(value, limit)}
        reason = WriteOffReason.SMALL_BALANCE
    try:
        request = writeoff_request(
            actor=asker,
            claim=claim,
            amounts=amounts,
            reason=reason,
            note="Demo: not collectible after review of the denial and the payer's policy.",
            root_cause=root_cause,
        )
        if step == "approve":
            writeoff_approve(actor=approver, request=request, note="Agreed after review.")
            made.approved += 1
        elif step == "refuse":
            writeoff_refuse(
                actor=approver,
                request=request,
                note="Appeal first: the payer overturns this category often.",
            )
            made.refused += 1
        elif step == "wait":
            made.waiting += 1
        else:
            made.auto_approved += 1
    except WriteOffError:
        return False
    return True
