"""Denials: created from ERAs (one per denied line, or per claim when only the claim is denied).

A line is denied when the payer paid nothing and gave a non-contractual CO/PI/OA reason, or
when the whole claim is denied (CLP02 = 4). The denial's CARC is the line's largest denying
adjustment and its amount the sum of them; RARCs come from LQ*HE and the claim's MOA. The appeal
deadline is the payment date plus the payer's appeal limit (180 days when the payer is unknown).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record, audit_record_many
from bureau.claims.models import Claim, ClaimLine
from bureau.denials.categories import CategoryTable, is_denial_reason
from bureau.denials.models import (
    CLOSED_STATUSES,
    SET_BY_THEIR_WORK,
    Denial,
    DenialCategory,
    DenialEvent,
    DenialStatus,
    RootCause,
)
from bureau.denials.selectors import assignee_choices
from bureau.directory.models import Payer
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.x12.remit835 import Adjustment, ClaimPayment, ServicePayment

if TYPE_CHECKING:
    from bureau.remittance.models import Era

# A payer not on file: the directory's own default appeal limit.
DEFAULT_APPEAL_DAYS: int = Payer._meta.get_field("appeal_limit_days").default
ZERO = Decimal("0.00")


def appeal_deadline(payment_date: date, payer: Payer | None) -> date:
    days = payer.appeal_limit_days if payer is not None else DEFAULT_APPEAL_DAYS
    return payment_date + timedelta(days=days)


def _denying(adjustments: Sequence[Adjustment], whole_claim_denied: bool) -> list[Adjustment]:
    found = [a for a in adjustments if is_denial_reason(a.group, a.reason) and a.amount > 0]
    if not found and whole_claim_denied:
        found = [a for a in adjustments if a.group != "PR" and a.amount > 0]
    return found


def denied_service(svc: ServicePayment, whole_claim_denied: bool) -> list[Adjustment]:
    """The adjustments that deny this line, or [] when it is not denied."""
    denying = _denying(svc.adjustments, whole_claim_denied)
    if whole_claim_denied or (svc.paid == 0 and denying):
        return denying
    return []


def is_denied_claim(payment: ClaimPayment) -> bool:
    """CLP02 = 4, or nothing paid anywhere and a non-patient reason on some line or the claim."""
    if payment.is_denial:
        return True
    if payment.paid != 0 or any(s.paid != 0 for s in payment.services):
        return False
    adjustments = list(payment.adjustments) + [a for s in payment.services for a in s.adjustments]
    return any(a.group != "PR" and a.amount > 0 for a in adjustments) and any(
        is_denial_reason(a.group, a.reason) for a in adjustments
    )


def denials_from_era(
    *,
    era_id: int,
    era_claim_id: int,
    claim: Claim,
    payment: ClaimPayment,
    services: Sequence[tuple[ServicePayment, ClaimLine | None]],
    payer: Payer | None,
    payment_date: date,
    table: CategoryTable | None = None,
) -> list[Denial]:
    """Unsaved Denial rows for one matched claim loop (the caller bulk-creates them). The
    category is the table's (workspace override, else default rule in force on the payment
    date) for the top reason's CARC, group code and RARCs."""
    whole = payment.is_denial
    table = table if table is not None else CategoryTable.load(claim.workspace_id)
    deadline = appeal_deadline(payment_date, payer)
    made: list[Denial] = []

    def denial(line: ClaimLine | None, denying: list[Adjustment], rarcs: list[str]) -> Denial:
        top = max(denying, key=lambda a: a.amount)
        return Denial(
            workspace_id=claim.workspace_id,
            practice_id=claim.practice_id,
            claim_id=claim.pk,
            claim_line=line,
            era_id=era_id,
            era_claim_id=era_claim_id,
            payer=payer,
            group_code=top.group,
            carc=top.reason[:5],
            rarcs=rarcs,
            amount=sum((a.amount for a in denying), ZERO),
            category=table.category(top.reason, top.group, rarcs, payment_date),
            denied_on=payment_date,
            appeal_deadline=deadline,
        )

    claim_rarcs = list(payment.remark_codes)
    for svc, line in services:
        denying = denied_service(svc, whole)
        if denying:
            made.append(denial(line, denying, list(svc.remark_codes) + claim_rarcs))
    if not made:
        denying = _denying(payment.adjustments, whole)
        if denying and (whole or payment.paid == 0):
            made.append(denial(None, denying, claim_rarcs))
    return made


# -- working a denial (H6) -----------------------------------------------------------------------


class DenialUpdateError(ValueError):
    """The change cannot be made; the message says why, for the person."""


def claim_denial_rows(qs: QuerySet[Denial], denial: Denial) -> QuerySet[Denial]:
    """The rows worked as one item with `denial`: every denied line of the same claim on the
    same ERA claim loop (a claim denied on several lines is one denial to work)."""
    return qs.filter(claim_id=denial.claim_id, era_claim_id=denial.era_claim_id)


def denial_update(
    *,
    actor: Actor,
    denial: Denial,
    status: str | None = None,
    assignee: str | None | Literal["keep"] = "keep",
    category: str | None = None,
    root_cause: str | None = None,
    note: str,
) -> Denial:
    """Work a claim's denial (denials.work on its practice): status, assignee and category apply
    to every denied line of the claim on that ERA; a note alone is a change too. Closing
    (resolved, written off) needs a root cause. Audited with the note, and written to the
    denial's history (`DenialEvent`) that its page shows. `assignee` is the public id of a person
    who may work the practice's denials; None unassigns; the default keeps the current one."""
    actor.require(Capability.DENIALS_WORK, denial.practice_id)
    note = note.replace("\x00", "").strip()  # PostgreSQL text holds no NUL
    if not note:
        raise DenialUpdateError("A note is required.")
    if status is not None and status not in DenialStatus.values:
        raise DenialUpdateError(f"Unknown status {status!r}.")
    if category is not None and category not in DenialCategory.values:
        raise DenialUpdateError(f"Unknown category {category!r}.")
    if root_cause and root_cause not in RootCause.values:
        raise DenialUpdateError(f"Unknown root cause {root_cause!r}.")
    with transaction.atomic():
        scoped = Denial.objects.visible_to(actor, Capability.DENIALS_WORK)
        rows: list[Denial] = list(
            claim_denial_rows(scoped, denial).select_for_update().order_by("id")
        )
        locked = next((d for d in rows if d.pk == denial.pk), None)
        if locked is None:  # outside the actor's practices or providers: as if missing
            raise Http404
        person: User | None = None
        if assignee not in ("keep", None):
            eligible = assignee_choices(actor=actor, denial=locked)
            person = next((u for u in eligible if str(u.public_id) == assignee), None)
            if person is None:
                raise DenialUpdateError("That person cannot work this practice's denials.")
        changes: dict[str, Any] = {}
        if status is not None and status != locked.status:
            if status in SET_BY_THEIR_WORK:
                raise DenialUpdateError(SET_BY_THEIR_WORK[status])
            changes["status"] = [locked.status, status]
        closing = (status or locked.status) in CLOSED_STATUSES
        cause = (root_cause or "").strip()
        if closing and "status" in changes and not cause:
            raise DenialUpdateError(
                "Root cause: say where this denial started before closing it "
                "(registration, eligibility, authorization, coding, documentation, charge entry, "
                "payer error or credentialing)."
            )
        if cause and cause != locked.root_cause:
            if not closing:
                raise DenialUpdateError("Root cause: it is given when the denial is closed.")
            changes["root_cause"] = [locked.root_cause or None, cause]
        if category is not None and category != locked.category:
            changes["category"] = [locked.category, category]
        if assignee != "keep":
            new_id = person.pk if person is not None else None
            if new_id != locked.assignee_id:
                changes["assignee"] = [
                    locked.assignee.username if locked.assignee else None,
                    person.username if person is not None else None,
                ]
        values: dict[str, Any] = {}
        if "status" in changes:
            values["status"] = status
        if "root_cause" in changes:
            values["root_cause"] = cause
        if "category" in changes:
            values["category"] = category
        if "assignee" in changes:
            values["assignee"] = person
        if values:  # the same values for every line: one scoped UPDATE
            scoped.filter(pk__in=[d.pk for d in rows]).update(**values)
            for name, value in values.items():
                setattr(locked, name, value)
        DenialEvent.objects.create(
            workspace_id=locked.workspace_id,
            practice_id=locked.practice_id,
            denial=rows[0],  # the claim's denial: its history hangs off its first line
            user=actor.user,
            note=note[:300],
            changes=changes,
        )
        audit_record(
            action=AuditAction.DENIAL_UPDATED,
            actor=actor,
            practice=actor.access[locked.practice_id].practice,
            model="denials.Denial",
            record_ids=[d.public_id for d in rows],
            reason=note[:200],
            detail=changes or {"note": True},
        )
        from bureau.workqueues.functions import Function
        from bureau.workqueues.hooks import remittance_changed

        remittance_changed(
            actor=actor,
            workspace_id=locked.workspace_id,
            practice_ids=[locked.practice_id],
            claim_ids=[locked.claim_id],
            functions=(Function.DENIALS,),
            cause="denial updated",
        )
    return locked


def denials_reversed_by_payer(
    *, actor: Actor | None, practices: Sequence[Practice], claim_ids: Sequence[int], era: Era
) -> int:
    """The payer reversed these claims (835 CLP02 = 22): their open denials from earlier ERAs
    are no longer the payer's word, so they close as REVERSED, audited per practice. Returns
    how many closed."""
    if not claim_ids:
        return 0
    by_id = {p.pk: p for p in practices}
    open_ones = list(
        Denial.objects.for_system(list(by_id), reason="payer reversal")
        .filter(
            claim_id__in=list(claim_ids),
            status__in=[DenialStatus.OPEN, DenialStatus.IN_PROGRESS],
        )
        .exclude(era=era)
        .order_by("id")
        .values_list("pk", "practice_id", "public_id", "era_claim_id", "workspace_id", "status")
    )
    if not open_ones:
        return 0
    Denial.objects.for_system(list(by_id), reason="payer reversal").filter(
        pk__in=[row[0] for row in open_ones]
    ).update(status=DenialStatus.REVERSED)
    # The denial's page history: one entry per claim's denial (on its first line), by the system.
    firsts: dict[int, tuple[Any, ...]] = {}
    for row in open_ones:
        firsts.setdefault(row[3], row)
    DenialEvent.objects.bulk_create(
        DenialEvent(
            workspace_id=workspace_id,
            practice_id=practice_id,
            denial_id=pk,
            user=actor.user if actor is not None else None,
            note=f"Payer reversed the claim (CLP02 = 22) on ERA {era.trace_number}"[:300],
            changes={"status": [status, DenialStatus.REVERSED.value]},
        )
        for pk, practice_id, _, _, workspace_id, status in firsts.values()
    )
    per_practice: dict[int, list[Any]] = {}
    for _, practice_id, public_id, *_rest in open_ones:
        per_practice.setdefault(practice_id, []).append(public_id)
    audit_record_many(
        action=AuditAction.DENIAL_UPDATED,
        actor=actor,
        workspace=era.workspace if actor is None else None,
        model="denials.Denial",
        targets=[(by_id[pid], ids) for pid, ids in sorted(per_practice.items())],
        detail={"status": DenialStatus.REVERSED.value, "era": era.trace_number},
        label="" if actor is not None else "system",
    )
    return len(open_ones)
