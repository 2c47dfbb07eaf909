"""Appeals between Bureau and the payer, as system work (no person behind it): the appeals a
payer may now receive, the record that it received them, and the decision letters it mails
back (issue 13).

An appeal reaches a payer by portal, fax, mail or EDI, outside the claim route; the payer's
decision comes back on a later 835 when it pays (`appeals.appeals_paid_by_payer`) or, when it
pays nothing, in a letter. The simulated cycle is the mail room that carries both ways; these
services are what it calls, scoped to the practices it runs for and audited as the system.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.denials.appeal_models import Appeal, AppealOutcome
from bureau.denials.categories import is_denial_reason
from bureau.denials.models import DenialEvent, DenialStatus
from bureau.tenancy.models import Practice, Workspace
from bureau.x12.remit835 import ClaimPayment

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class AppealForPayer:
    """What the letter tells the payer: which claim, which level, what kind of denial."""

    appeal_id: str  # the appeal's public id: the reference the payer's decision quotes
    practice_id: int
    level: int
    category: str
    payer_id: str  # the payer's EDI id, as on the claim
    claim_number: str  # CLM01
    payer_claim_number: str  # CLP07
    submitted_on: date


def appeals_awaiting_payer(*, practice_ids: Sequence[int], as_of: date) -> list[AppealForPayer]:
    """Appeals a payer could have received by `as_of`: submitted then or before, no outcome
    yet. (Not yet submitted, or decided, they are not the payer's business.)"""
    with transaction.atomic():  # the practice scope (RLS) holds for one transaction
        rows = list(
            Appeal.objects.for_system(practice_ids, reason="appeals sent to the payer")
            .filter(submitted_on__isnull=False, submitted_on__lte=as_of, outcome="")
            .order_by("submitted_on", "id")
            .values_list(
                "public_id",
                "practice_id",
                "level",
                "denial__category",
                "denial__claim__payer__payer_id",
                "denial__claim__number",
                "denial__claim__payer_claim_number",
                "submitted_on",
            )
        )
    return [
        AppealForPayer(str(pid), practice, level, category, payer or "", number, pcn or "", on)
        for pid, practice, level, category, payer, number, pcn, on in rows
    ]


def _settled_elsewhere(group: str, carc: str) -> bool:
    """The patient's share, or what a prior payer paid (OA-23): allowed, just not paid here."""
    return group == "PR" or (group == "OA" and carc.strip() == "23")


def _denying(group: str, carc: str, amount: Decimal) -> bool:
    return amount > 0 and not _settled_elsewhere(group, carc) and is_denial_reason(group, carc)


def paid_as_allowed(payment: ClaimPayment) -> bool:
    """The payer paid every line all it allows (AMT*B6 = paid + patient share + a prior
    payer's) and no denying reason is left: an appeal of the claim was won outright, however
    far the allowed amount is below the charge."""
    if payment.is_reversal or payment.paid <= 0 or not payment.services:
        return False
    if any(_denying(a.group, a.reason, a.amount) for a in payment.adjustments):
        return False
    for svc in payment.services:
        if svc.allowed is None:
            return False
        elsewhere = [a.amount for a in svc.adjustments if _settled_elsewhere(a.group, a.reason)]
        if svc.paid + sum(elsewhere, ZERO) != svc.allowed:
            return False
        if any(_denying(a.group, a.reason, a.amount) for a in svc.adjustments):
            return False
    return True


def _practices(workspace: Workspace, practice_ids: Sequence[int]) -> dict[int, Practice]:
    return {p.pk: p for p in Practice.objects.filter(workspace=workspace, pk__in=practice_ids)}


def appeals_received_by_payer(
    *, workspace: Workspace, appeals: Sequence[AppealForPayer], day: date
) -> None:
    """Audit what the payer took in that day (the appeals' facts left Bureau)."""
    per_practice: dict[int, list[str]] = {}
    for appeal in appeals:
        per_practice.setdefault(appeal.practice_id, []).append(appeal.appeal_id)
    if not per_practice:
        return
    by_id = _practices(workspace, list(per_practice))
    with transaction.atomic():
        audit_record_many(
            action=AuditAction.DENIAL_UPDATED,
            actor=None,
            workspace=workspace,
            model="denials.Appeal",
            targets=[(by_id[pid], ids) for pid, ids in sorted(per_practice.items())],
            detail={"received_by_payer": day.isoformat()},
            label="system",
        )


@dataclass(frozen=True, slots=True)
class DecisionLetter:
    appeal_id: str
    outcome: str  # only UPHELD comes by letter: a won appeal comes with the payment
    decided_on: date


def appeals_upheld_by_payer(
    *, workspace: Workspace, practice_ids: Sequence[int], letters: Sequence[DecisionLetter]
) -> int:
    """The payer's letters upholding appeals: each pending appeal named takes the outcome
    (dated the decision, nothing recovered), its denial goes back to in progress — the next
    level's clock runs from that decision — and the denial's history says so. A letter about
    an appeal already decided (by a person, or twice) changes nothing. Returns how many."""
    upheld = {
        letter.appeal_id: letter for letter in letters if letter.outcome == AppealOutcome.UPHELD
    }
    if not upheld:
        return 0
    with transaction.atomic():
        pending = list(
            Appeal.objects.for_system(practice_ids, reason="appeal decision letter")
            .select_for_update(of=("self",))
            .select_related("denial")
            .filter(public_id__in=list(upheld), outcome="", submitted_on__isnull=False)
            .order_by("id")
        )
        per_practice: dict[int, list[str]] = {}
        events: list[DenialEvent] = []
        for appeal in pending:
            letter = upheld[str(appeal.public_id)]
            if letter.decided_on < (appeal.submitted_on or letter.decided_on):
                continue  # a letter older than the appeal is not its answer
            appeal.outcome = AppealOutcome.UPHELD
            appeal.decided_on = letter.decided_on
            appeal.amount_recovered = ZERO
            appeal.save(update_fields=["outcome", "decided_on", "amount_recovered"])
            denial = appeal.denial
            changes = {}
            if denial.status != DenialStatus.IN_PROGRESS:
                changes = {"status": [denial.status, DenialStatus.IN_PROGRESS.value]}
                denial.status = DenialStatus.IN_PROGRESS
                denial.save(update_fields=["status"])
            events.append(
                DenialEvent(
                    workspace_id=appeal.workspace_id,
                    practice_id=appeal.practice_id,
                    denial=denial,
                    user=None,
                    note=(
                        f"Payer upheld the level {appeal.level} appeal (decision of "
                        f"{letter.decided_on:%Y-%m-%d}, by letter)"
                    ),
                    changes=changes,
                )
            )
            per_practice.setdefault(appeal.practice_id, []).append(str(appeal.public_id))
        if not per_practice:
            return 0
        DenialEvent.objects.bulk_create(events)
        by_id = _practices(workspace, list(per_practice))
        audit_record_many(
            action=AuditAction.DENIAL_UPDATED,
            actor=None,
            workspace=workspace,
            model="denials.Appeal",
            targets=[(by_id[pid], ids) for pid, ids in sorted(per_practice.items())],
            detail={"outcome": AppealOutcome.UPHELD.value, "from": "payer letter"},
            label="system",
        )
    return sum(len(ids) for ids in per_practice.values())
